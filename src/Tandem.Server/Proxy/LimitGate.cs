using System.Globalization;
using Microsoft.AspNetCore.Http;
using Tandem.Costs;
using Tandem.Limits;
using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Wire;

namespace Tandem.Server.Proxy;

/// <summary>
/// The request path's one stop for budgets and rate limits: after the route's plan is known and before any upstream
/// call, the caller's limits are charged (<see cref="LimitEnforcer"/>); a refusal is answered here, OpenAI-shaped.
/// A caller without limits costs one dictionary lookup: no store call and no headers.
/// </summary>
/// <remarks>
/// Refusals: a per-minute limit is 429 <c>rate_limit_exceeded</c> (type <c>requests</c> or <c>tokens</c>, as OpenAI);
/// an exhausted daily or monthly budget is 429 <c>insufficient_quota</c> (OpenAI's answer when a quota is used up;
/// 429 rather than 403 so that clients treat both the same way); both carry <c>retry-after</c>. A limit store that is
/// down with <c>on_store_failure: closed</c> is 503 <c>limits_unavailable</c>.
/// </remarks>
internal sealed class LimitGate
{
    private readonly LimitEnforcer _enforcer;
    private readonly RecordFinisher _finisher;

    public LimitGate(LimitEnforcer enforcer, RecordFinisher finisher)
    {
        _enforcer = enforcer;
        _finisher = finisher;
    }

    /// <summary>Admits the request or answers the refusal; returns whether the request may go on.</summary>
    public async ValueTask<bool> AdmitAsync(Exchange x, GatewayKey key, RoutePlan plan)
    {
        var routeName = x.Route?.Name ?? (plan.Chain.Count > 0 ? plan.Chain[0].Name : null);
        var specs = _enforcer.Find(key.Name, key.Team, routeName);
        if (specs is null)
        {
            return true;
        }

        var admission = await _enforcer.AdmitAsync(specs, Estimate(x, specs, plan), x.Http.RequestAborted).ConfigureAwait(false);
        x.Limits = admission;
        WriteHeaders(x, x.Http.Response.Headers);
        if (admission.Admitted)
        {
            return true;
        }

        if (admission.RetryAfter is { } retryAfter)
        {
            x.Http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        var (status, type, code) = admission.Outcome switch
        {
            LimitOutcome.BudgetExhausted => (429, "insufficient_quota", "insufficient_quota"),
            LimitOutcome.StoreUnavailable => (503, ErrorTypes.Server, "limits_unavailable"),
            _ => (429, admission.Refused?.Measure == LimitMeasure.Tokens ? "tokens" : "requests", "rate_limit_exceeded"),
        };
        x.Fail(status, code);
        await ProxyResponses.WriteErrorAsync(x, status, admission.Message, type, null, code).ConfigureAwait(false);
        return false;
    }

    /// <summary>Settles an admitted request with what it really used, once its record is complete.</summary>
    public void Settle(Exchange x)
    {
        if (x.Limits is { Admitted: true } admission)
        {
            _enforcer.Settle(admission, (long)x.Record.PromptTokens + x.Record.CompletionTokens, x.Record.Cost);
        }
    }

    /// <summary>
    /// OpenAI's <c>x-ratelimit-*</c> headers for a limited caller (on every answer, refusals included). Written again
    /// after an upstream's own rate-limit headers are relayed: the caller's allowance here is Tandem's.
    /// </summary>
    public static void WriteHeaders(Exchange x, IHeaderDictionary headers)
    {
        if (x.Limits is not { } admission)
        {
            return;
        }

        if (admission.Requests is { } requests)
        {
            headers["x-ratelimit-limit-requests"] = requests.Limit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = requests.Remaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = LimitWindows.ResetText(requests.Reset);
        }

        if (admission.Tokens is { } tokens)
        {
            headers["x-ratelimit-limit-tokens"] = tokens.Limit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = tokens.Remaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = LimitWindows.ResetText(tokens.Reset);
        }
    }

    /// <summary>
    /// What the request may use at most: its prompt's JSON length in bytes plus <c>max_tokens</c> (or the default),
    /// and the cost of that at the first planned deployment's prices.
    /// </summary>
    /// <remarks>
    /// Byte-level BPE tokenizers (OpenAI's, Llama 3's) never make more tokens than the text has UTF-8 bytes, and the
    /// JSON around each message is longer than the few tokens a chat template adds, so the prompt's JSON length is an
    /// upper bound of its tokens. With <c>max_tokens</c> set, a reservation therefore covers the real usage and the
    /// settlement only gives back: a token budget is not overshot. Images are counted by their text only (their bytes
    /// say nothing of their tokens).
    /// </remarks>
    private LimitEstimate Estimate(Exchange x, IReadOnlyList<LimitSpec> specs, RoutePlan plan)
    {
        var request = x.Request!;
        long prompt = request.HasImages ? request.EstimatedPromptTokens : Math.Max(request.EstimatedPromptTokens, request.PromptJson.Length);
        long completion = x.Operation == ApiOperation.Embeddings ? 0 : request.MaxTokens ?? _enforcer.DefaultMaxTokens;
        long microUsd = 0;
        if (plan.Chain.Count > 0 && HasMoney(specs))
        {
            var price = _finisher.PriceOf(x.Snapshot, plan.Chain[0].Name);
            microUsd = ConfigLimitSource.Micros(price.CostOf(prompt, 0, completion, 0));
        }

        return new LimitEstimate(prompt + completion, microUsd);
    }

    private static bool HasMoney(IReadOnlyList<LimitSpec> specs)
    {
        for (var i = 0; i < specs.Count; i++)
        {
            if (specs[i].Measure == LimitMeasure.Usd)
            {
                return true;
            }
        }

        return false;
    }
}
