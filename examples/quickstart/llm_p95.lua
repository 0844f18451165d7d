-- examples/quickstart/llm_p95.lua — a more cautious variant of llm.lua: size for the one-minute
-- p95 request rate rather than the average.
return {
  params = { per_replica = 2, headroom = 0.2 },

  decide = function(ctx, p)
    local p95 = ctx:signal("requests_per_second", { window = "1m", agg = "p95" })
    if p95 == nil then return nil end
    local want = math.ceil(p95 * (1 + p.headroom) / p.per_replica)
    return { replicas = want, reason = string.format("1m p95 %.0f req/s", p95) }
  end,
}
