-- expect: decide must return a table
return { decide = function(ctx) return "10" end }
