-- expect: os.execute is not allowed
return { decide = function(ctx) os.execute("touch /tmp/pwned") return { replicas = 1 } end }
