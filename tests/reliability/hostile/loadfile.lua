-- expect: loadfile is not allowed
return { decide = function(ctx) loadfile("/etc/passwd") return { replicas = 1 } end }
