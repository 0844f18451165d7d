-- expect: yield
return { decide = function(ctx)
  local co = coroutine.wrap(function() return ("abc"):gsub(".", function(c) coroutine.yield(c) end) end)
  co()
end }
