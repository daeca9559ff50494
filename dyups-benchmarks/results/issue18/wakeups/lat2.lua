done = function(summary, latency, requests)
  local s = string.format("requests=%d rps=%.0f", summary.requests, summary.requests / (summary.duration / 1e6))
  for _, p in ipairs({50, 90, 95, 97, 98, 99, 99.5, 99.9}) do s = s .. string.format(" p%s=%d", p, latency:percentile(p)) end
  io.write("RESULT " .. s .. "\n")
end
