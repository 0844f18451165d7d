-- expect: os.remove is not allowed
return { decide = function(ctx) os.remove("/tmp/x") end }
