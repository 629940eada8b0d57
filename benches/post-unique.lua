-- wrk: POST the JSON body in the file named by BODY, with a comment unique to each request put
-- before its query, so no two requests send the same document text (a client that stamps its
-- requests, or one trying to defeat what a server keys on the text).
local f = assert(io.open(os.getenv("BODY"), "rb"))
local body = f:read("*a")
f:close()
local prefix, rest = body:match('^(%{"query": ")(.*)$')
assert(prefix, "BODY must start with {\"query\": \"")
local thread_id = 0
local counter = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("thread_id", thread_id)
end

function request()
  counter = counter + 1
  local stamped = prefix .. "# request " .. thread_id .. "-" .. counter .. "\\n" .. rest
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }, stamped)
end
