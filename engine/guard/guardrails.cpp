// engine/guard/guardrails.cpp — HPA normalization as upstream implements it (see
// shared/reference/hpa.md sections 2, 6 and 7), plus cooldown and fallback.
#include "engine/guard/guardrails.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>

namespace luascale {

const char* bound_by_name(BoundBy b) {
  switch (b) {
    case BoundBy::None:
      return "none";
    case BoundBy::Hold:
      return "hold";
    case BoundBy::Error:
      return "error";
    case BoundBy::Fallback:
      return "fallback";
    case BoundBy::Paused:
      return "paused";
    case BoundBy::MinReplicas:
      return "minReplicas";
    case BoundBy::MaxReplicas:
      return "maxReplicas";
    case BoundBy::ScaleUpLimit:
      return "scaleUpLimit";
    case BoundBy::ScaleDownLimit:
      return "scaleDownLimit";
    case BoundBy::ScaleUpStabilization:
      return "scaleUpStabilization";
    case BoundBy::ScaleDownStabilization:
      return "scaleDownStabilization";
    case BoundBy::Cooldown:
      return "cooldown";
  }
  return "?";
}

void GuardrailConfig::apply_behavior_defaults() {
  // GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: a set policies list replaces the
  // default list whole; the scale-down window stays unset (filled from the controller flag).
  if (scale_up.policies.empty() && scale_up.select != HpaScalingRules::Select::Disabled)
    scale_up.policies = {{HpaScalingPolicy::Type::Pods, 4, 15},
                         {HpaScalingPolicy::Type::Percent, 100, 15}};
  if (!scale_up.stabilization_window_seconds) scale_up.stabilization_window_seconds = 0;
  if (scale_down.policies.empty() && scale_down.select != HpaScalingRules::Select::Disabled)
    scale_down.policies = {{HpaScalingPolicy::Type::Percent, 100, 15}};
}

std::int64_t GuardrailConfig::fallback_count(std::int64_t current) const {
  const std::int64_t replicas = fallback_replicas.value_or(current);
  switch (fallback_behavior) {
    case FallbackBehavior::Static:
      return replicas;
    case FallbackBehavior::CurrentReplicas:
      return current;
    case FallbackBehavior::CurrentReplicasIfHigher:
      return std::max(current, replicas);
    case FallbackBehavior::CurrentReplicasIfLower:
      return std::min(current, replicas);
  }
  return replicas;
}

Guardrails::Guardrails(GuardrailConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.has_behavior) cfg_.apply_behavior_defaults();
}

void Guardrails::store_recommendation(double now, std::int64_t desired, double keep_seconds) {
  // Entries strictly older than every window can never count again; drop them (upstream reuses
  // their slots, which is the same thing).
  auto& recs = state_.recommendations;
  const double cutoff = now - keep_seconds;
  std::size_t drop = 0;
  while (drop < recs.size() && recs[drop].time < cutoff) ++drop;
  if (drop) recs.erase(recs.begin(), recs.begin() + static_cast<std::ptrdiff_t>(drop));
  recs.push_back({now, desired});
  // An entry with a later one at least as high and a later one at least as low can never decide
  // a window's max or min again: every window that holds it holds those later entries too. Drop
  // it. The answers stay exactly upstream's, and a steady recommendation keeps one entry however
  // short the interval is against the window (300 entries at 1 s otherwise).
  // One pass from the newest back, without a branch on the data: every entry is copied down to
  // the next free place from the end, which only a kept entry then takes; the kept ones end up,
  // in order, at [w, n).
  const std::size_t n = recs.size();
  std::int64_t hi = desired, lo = desired;
  std::size_t w = n - 1;
  for (std::size_t i = n - 1; i-- > 0;) {
    const std::int64_t c = recs[i].count;
    recs[w - 1] = recs[i];  // w - 1 >= i: nothing unread is overwritten
    w -= !(hi >= c && lo <= c);
    hi = std::max(hi, c);
    lo = std::min(lo, c);
  }
  if (w) recs.erase(recs.begin(), recs.begin() + static_cast<std::ptrdiff_t>(w));
}

GuardResult Guardrails::normalize_legacy(double now, std::int64_t current, std::int64_t desired) {
  // stabilizeRecommendation: max over recommendations not older than the downscale window.
  const double cutoff = now - cfg_.downscale_window_seconds;
  std::int64_t stabilized = desired;
  for (const auto& r : state_.recommendations)
    if (!(r.time < cutoff)) stabilized = std::max(stabilized, r.count);
  store_recommendation(now, desired, cfg_.downscale_window_seconds);
  BoundBy bound = stabilized != desired ? BoundBy::ScaleDownStabilization : BoundBy::None;

  // convertDesiredReplicasWithRules: scale-up capped at max(2 * current, 4).
  const std::int64_t scale_up_limit = std::max<std::int64_t>(2 * current, 4);
  std::int64_t upper;
  BoundBy upper_rule;
  if (cfg_.max > scale_up_limit) {
    upper = scale_up_limit;
    upper_rule = BoundBy::ScaleUpLimit;
  } else {
    upper = cfg_.max;
    upper_rule = BoundBy::MaxReplicas;
  }
  if (stabilized < cfg_.min) return {cfg_.min, BoundBy::MinReplicas};
  if (stabilized > upper) return {upper, upper_rule};
  return {stabilized, bound};
}

std::int64_t Guardrails::change_in_period(const std::vector<TimedCount>& events, double now,
                                          std::int64_t period) const {
  const double cutoff = now - static_cast<double>(period);
  std::int64_t sum = 0;
  for (const auto& e : events)
    if (e.time > cutoff) sum += e.count;
  return sum;
}

GuardResult Guardrails::normalize_behavior(double now, std::int64_t current, std::int64_t desired) {
  const double up_window =
      static_cast<double>(cfg_.scale_up.stabilization_window_seconds.value_or(0));
  const double down_window =
      cfg_.scale_down.stabilization_window_seconds
          ? static_cast<double>(*cfg_.scale_down.stabilization_window_seconds)
          : cfg_.downscale_window_seconds;
  // stabilizeRecommendationWithBehaviors.
  std::int64_t up_rec = desired, down_rec = desired;
  const double up_cutoff = now - up_window, down_cutoff = now - down_window;
  for (const auto& r : state_.recommendations) {
    if (r.time > up_cutoff) up_rec = std::min(up_rec, r.count);
    if (r.time > down_cutoff) down_rec = std::max(down_rec, r.count);
  }
  std::int64_t stabilized = current;
  if (stabilized < up_rec) stabilized = up_rec;
  if (stabilized > down_rec) stabilized = down_rec;
  store_recommendation(now, desired, std::max(up_window, down_window));
  BoundBy bound = BoundBy::None;
  if (stabilized != desired)
    bound = desired > current ? BoundBy::ScaleUpStabilization : BoundBy::ScaleDownStabilization;

  // convertDesiredReplicasWithBehaviorRate.
  if (stabilized > current) {
    const auto& rules = cfg_.scale_up;
    std::int64_t limit;
    if (rules.select == HpaScalingRules::Select::Disabled) {
      limit = current;
    } else {
      const bool pick_min = rules.select == HpaScalingRules::Select::Min;
      limit = pick_min ? INT32_MAX : INT32_MIN;
      for (const auto& p : rules.policies) {
        std::int64_t start = current -
                             change_in_period(state_.scale_up_events, now, p.period_seconds) +
                             change_in_period(state_.scale_down_events, now, p.period_seconds);
        std::int64_t proposed =
            p.type == HpaScalingPolicy::Type::Pods
                ? start + p.value
                : static_cast<std::int64_t>(std::ceil(static_cast<double>(start) *
                                                      (1 + static_cast<double>(p.value) / 100)));
        limit = pick_min ? std::min(limit, proposed) : std::max(limit, proposed);
      }
    }
    if (limit < current) limit = current;
    std::int64_t allowed;
    BoundBy rule;
    if (cfg_.max > limit) {
      allowed = limit;
      rule = BoundBy::ScaleUpLimit;
    } else {
      allowed = cfg_.max;
      rule = BoundBy::MaxReplicas;
    }
    if (stabilized > allowed) return {allowed, rule};
  } else if (stabilized < current) {
    const auto& rules = cfg_.scale_down;
    std::int64_t limit;
    if (rules.select == HpaScalingRules::Select::Disabled) {
      limit = current;
    } else {
      const bool pick_min_change = rules.select == HpaScalingRules::Select::Min;
      limit = pick_min_change ? INT32_MIN : INT32_MAX;
      for (const auto& p : rules.policies) {
        std::int64_t start = current -
                             change_in_period(state_.scale_up_events, now, p.period_seconds) +
                             change_in_period(state_.scale_down_events, now, p.period_seconds);
        std::int64_t proposed =
            p.type == HpaScalingPolicy::Type::Pods
                ? start - p.value
                : static_cast<std::int64_t>(static_cast<double>(start) *
                                            (1 - static_cast<double>(p.value) / 100));
        limit = pick_min_change ? std::max(limit, proposed) : std::min(limit, proposed);
      }
    }
    if (limit > current) limit = current;
    std::int64_t allowed;
    BoundBy rule;
    if (cfg_.min < limit) {
      allowed = limit;
      rule = BoundBy::ScaleDownLimit;
    } else {
      allowed = cfg_.min;
      rule = BoundBy::MinReplicas;
    }
    if (stabilized < allowed) return {allowed, rule};
  }
  return {stabilized, bound};
}

GuardResult Guardrails::decide(double now, std::int64_t current,
                               std::optional<std::int64_t> recommendation, bool failed) {
  // recordInitialRecommendation: a fresh history starts with the current count.
  if (!state_.initialized) {
    state_.initialized = true;
    if (state_.recommendations.empty()) state_.recommendations.push_back({now, current});
  }
  if (failed) {
    ++state_.consecutive_failures;
  } else {
    state_.consecutive_failures = 0;
  }
  // The gate of reconcileAutoscaler: paused, or out of range, before any normalization.
  if (current == 0 && cfg_.min != 0) return {current, BoundBy::Paused};
  if (current > cfg_.max) return {cfg_.max, BoundBy::MaxReplicas};
  if (current < cfg_.min) return {cfg_.min, BoundBy::MinReplicas};

  BoundBy origin = BoundBy::None;
  if (failed) {
    // `recommendation` here comes from the signals that did not fail (see the header).
    if (cfg_.fallback_enabled() && state_.consecutive_failures >= cfg_.fallback_failure_threshold) {
      const std::int64_t fallback = cfg_.fallback_count(current);
      if (!recommendation || *recommendation <= fallback) {
        recommendation = fallback;
        origin = BoundBy::Fallback;
      }
    } else if (!recommendation || *recommendation <= current) {
      return {current, BoundBy::Error};
    }
  }
  if (!recommendation) return {current, BoundBy::Hold};

  GuardResult r = cfg_.has_behavior ? normalize_behavior(now, current, *recommendation)
                                    : normalize_legacy(now, current, *recommendation);
  if (r.bound_by == BoundBy::None && origin != BoundBy::None) r.bound_by = origin;

  // Cooldown (AWS-style): no new scaling within the cooldown after the last scale event.
  if (r.desired != current && state_.last_scale_time) {
    const double since = now - *state_.last_scale_time;
    const double cooldown =
        r.desired > current ? cfg_.cooldown_up_seconds : cfg_.cooldown_down_seconds;
    if (since < cooldown) return {current, BoundBy::Cooldown};
  }
  return r;
}

void Guardrails::prune_events(double now) {
  std::int64_t longest = 0;
  for (const auto& p : cfg_.scale_up.policies) longest = std::max(longest, p.period_seconds);
  for (const auto& p : cfg_.scale_down.policies) longest = std::max(longest, p.period_seconds);
  const double cutoff = now - static_cast<double>(longest);
  for (auto* events : {&state_.scale_up_events, &state_.scale_down_events}) {
    std::size_t drop = 0;
    while (drop < events->size() && !((*events)[drop].time > cutoff)) ++drop;
    if (drop) events->erase(events->begin(), events->begin() + static_cast<std::ptrdiff_t>(drop));
  }
}

void Guardrails::record_scale(double now, std::int64_t from, std::int64_t to) {
  if (from == to) return;
  state_.last_scale_time = now;
  if (!cfg_.has_behavior) return;  // upstream keeps events only when behavior is set
  prune_events(now);
  if (to > from)
    state_.scale_up_events.push_back({now, to - from});
  else
    state_.scale_down_events.push_back({now, from - to});
}

}  // namespace luascale
