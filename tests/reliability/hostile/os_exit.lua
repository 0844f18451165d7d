-- expect: os.exit is not allowed
return { decide = function(ctx) os.exit(3) end }
