-- expect: instruction budget exceeded|timed out
local co = coroutine.create(function() while true do coroutine.yield() local i = 0 while true do i = i + 1 end end end)
coroutine.resume(co)
return { decide = function(ctx) while true do pcall(coroutine.resume, co) end end }
