-- expect: error object is a table value
return { decide = function(ctx) error({ code = 1 }) end }
