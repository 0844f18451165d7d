-- expect: os.getenv is not allowed
return { decide = function(ctx) return { replicas = #os.getenv("HOME") } end }
