-- expect: not available
return { decide = function(ctx) local f = io.open("/etc/passwd") return { replicas = 1 } end }
