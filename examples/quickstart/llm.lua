-- examples/quickstart/llm.lua — size LLM inference replicas from the request rate.
-- Each replica serves `per_replica` requests per second; keep `headroom` spare; smooth bursts
-- with a one-minute average but react to the p95 when it runs far above it.
return {
  params = { per_replica = 2, headroom = 0.2 },

  decide = function(ctx, p)
    local avg = ctx:signal("requests_per_second", { window = "1m", agg = "avg" })
    if avg == nil then return nil end                     -- no data: hold the current count
    local p95 = ctx:signal("requests_per_second", { window = "1m", agg = "p95" })
    local load = math.max(avg, p95 / 2)
    local want = math.ceil(load * (1 + p.headroom) / p.per_replica)
    ctx.state.peak = math.max(ctx.state.peak or 0, want)  -- persists across evaluations
    ctx:log(string.format("avg %.2f p95 %.2f -> %d", avg, p95, want))
    return { replicas = want, reason = string.format("1m avg %.2f req/s, p95 %.0f", avg, p95) }
  end,
}
