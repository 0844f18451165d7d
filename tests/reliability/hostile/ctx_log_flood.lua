-- expect: instruction budget exceeded|timed out
return { decide = function(ctx) while true do ctx:log(string.rep("x", 100000)) print("y") end end }
