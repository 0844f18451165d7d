-- expect: collectgarbage("stop") is not allowed
return { decide = function(ctx) collectgarbage("stop") end }
