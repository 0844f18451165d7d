-- expect: yield
return { decide = function(ctx)
  local co = coroutine.create(function()
    table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end)
  end)
  local ok, e = coroutine.resume(co)
  error(e)
end }
