-- wrk script for bench/run. Each thread is one signed-in person (wrk runs
-- as many threads as connections): its session cookie and CSRF token are
-- line <thread> of $BENCH_SESSIONS. With $BENCH_PATHS (a file of paths)
-- the threads take turns over its lines; with $BENCH_POST=1 each path is
-- posted once and never again: as an approval decision, or, for a line
-- "path<TAB>form", that form (urlencoded, the CSRF token added). With
-- $BENCH_UPLOAD (a PDF file) each path is posted once a multipart form of
-- the CSRF token and that file, made a different file every time by
-- overwriting its placeholder (HHNONCE…, see examples/extract_bench.rs).
-- With $BENCH_APPLY (the same PDF) each request is an application from
-- the careers site: the job page's stamp ($BENCH_STAMP, "issued token"),
-- a name, an address never used before, the consent and that file, from
-- an address of its own, never used by an earlier run (X-Forwarded-For:
-- the app trusts its proxy then; its limit per address is per hour).
-- Prints one RESULT line with requests/s, p50/p95/p99 (ms) and failures
-- (non-2xx/3xx, socket errors).
local count = 0
-- What Chrome (and Firefox) ask for: the pages come compressed as a
-- browser gets them (zstd), not as plain text no browser receives.
local accept = "gzip, deflate, br, zstd"
local boundary = "----hiring-hare-bench-7f3a9c"
local nonce = "HHNONCE0000000000000000000000000"

function setup(thread)
   thread:set("index", count)
   count = count + 1
end

-- A multipart POST of the body `parts`, made as wrk.format makes one but
-- in one concatenation: a megabyte's body is copied once per request
-- instead of twice (the client shares the cores with the app it measures).
function multipart(path, headers, parts)
   local length = 0
   for _, part in ipairs(parts) do length = length + #part end
   local head = { "POST " .. path .. " HTTP/1.1",
                  "Host: " .. (wrk.headers["Host"] or (wrk.host .. ":" .. wrk.port)),
                  "Accept-Encoding: " .. accept,
                  "Content-Type: multipart/form-data; boundary=" .. boundary,
                  "Content-Length: " .. length }
   for name, value in pairs(headers) do head[#head + 1] = name .. ": " .. value end
   local all = { table.concat(head, "\r\n") .. "\r\n\r\n" }
   for _, part in ipairs(parts) do all[#all + 1] = part end
   return table.concat(all)
end

-- One text field of a multipart form.
function field(name, value)
   return "--" .. boundary .. "\r\n"
      .. 'Content-Disposition: form-data; name="' .. name .. '"\r\n\r\n' .. value .. "\r\n"
end

function init(args)
   local threads = tonumber(os.getenv("BENCH_THREADS"))
   local k = 0
   for line in io.lines(os.getenv("BENCH_SESSIONS")) do
      if k == index then cookie, csrf = line:match("^(%S+)\t(%S+)$") end
      k = k + 1
   end
   post = os.getenv("BENCH_POST") == "1"
   local upload = os.getenv("BENCH_UPLOAD")
   if upload and upload ~= "" then
      local f = assert(io.open(upload, "rb"))
      local pdf = f:read("*a")
      f:close()
      local at = assert(pdf:find(nonce, 1, true), "no placeholder in " .. upload)
      upload_head = "--" .. boundary .. "\r\n"
         .. 'Content-Disposition: form-data; name="csrf_token"\r\n\r\n' .. csrf .. "\r\n"
         .. "--" .. boundary .. "\r\n"
         .. 'Content-Disposition: form-data; name="file"; filename="resume.pdf"\r\n'
         .. "Content-Type: application/pdf\r\n\r\n" .. pdf:sub(1, at - 1)
      upload_tail = pdf:sub(at + #nonce) .. "\r\n--" .. boundary .. "--\r\n"
      started = os.time()
      uploaded = 0
      post = true
   end
   local apply = os.getenv("BENCH_APPLY")
   if apply and apply ~= "" then
      local f = assert(io.open(apply, "rb"))
      local pdf = f:read("*a")
      f:close()
      local at = assert(pdf:find(nonce, 1, true), "no placeholder in " .. apply)
      local issued, token = assert(os.getenv("BENCH_STAMP")):match("^(%S+) (%S+)$")
      apply_fields = field("issued", issued) .. field("token", token)
         .. field("full_name", "Bench Applicant") .. field("consent", "on")
      apply_file = "--" .. boundary .. "\r\n"
         .. 'Content-Disposition: form-data; name="file"; filename="resume.pdf"\r\n'
         .. "Content-Type: application/pdf\r\n\r\n" .. pdf:sub(1, at - 1)
      upload_tail = pdf:sub(at + #nonce) .. "\r\n--" .. boundary .. "--\r\n"
      started = os.time()
      uploaded = 0
      post = true
   end
   mine = {}
   local paths = os.getenv("BENCH_PATHS")
   listed = paths and paths ~= ""
   if listed then
      k = 0
      for line in io.lines(paths) do
         if k % threads == index then table.insert(mine, line) end
         k = k + 1
      end
   end
   nxt = 1
end

function request()
   local path = wrk.path
   if listed and (post or #mine > 0) then
      if post and nxt > #mine then
         -- Out of waiting approvals (or given none, with fewer lines than
         -- threads): stop rather than decide one twice or post to the
         -- placeholder path.
         wrk.thread:stop()
         return wrk.format("GET", "/health/live")
      end
      path = mine[nxt]
      if post then nxt = nxt + 1 else nxt = nxt % #mine + 1 end
   end
   if apply_fields then
      uploaded = uploaded + 1
      local who = string.format("%010d%03d%019d", started, index, uploaded)
      return multipart(path,
         { ["X-Forwarded-For"] = string.format("fd00::%x:%x:%x:%x", math.floor(started / 65536) % 65536,
                                               started % 65536, index, uploaded % 65536) },
         { apply_fields, field("email", "bench-" .. who .. "@apply.hiringhare.test"), apply_file, who, upload_tail })
   end
   if upload_head then
      -- A file no upload sent before: this run, this thread, this request.
      uploaded = uploaded + 1
      return multipart(path, { ["Cookie"] = cookie },
         { upload_head, string.format("%010d%03d%019d", started, index, uploaded), upload_tail })
   end
   if post then
      local target, form = path:match("^([^\t]*)\t(.*)$")
      if target then path = target else form = "decision=approve" end
      return wrk.format("POST", path,
         { ["Cookie"] = cookie, ["Content-Type"] = "application/x-www-form-urlencoded",
           ["Accept-Encoding"] = accept },
         form .. "&csrf_token=" .. csrf)
   end
   return wrk.format("GET", path, { ["Cookie"] = cookie, ["Accept-Encoding"] = accept })
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("RESULT %d %.3f %.2f %.2f %.2f %d\n",
      summary.requests, summary.duration / 1e6,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
      e.status + e.connect + e.read + e.write + e.timeout))
end
