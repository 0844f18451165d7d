-- examples/quickstart/broken.lua — a policy with a mistake, to show what `luascale check` says.
return {
  decide = function(ctx, p)
    local depth = ctx:signal("queue_depth")
    if depth == nil then return nil
    return { replicas = math.ceil(depth / 10) }
  end,
}
