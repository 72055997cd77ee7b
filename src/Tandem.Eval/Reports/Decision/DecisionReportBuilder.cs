namespace Tandem.Eval.Reports.Decision;

/// <summary>
/// Stay, hybrid or migrate, from measured traffic and the team's answers. The rules, in order (docs/DECISION.md):
/// <list type="number">
/// <item>Economics: self-hosting (cheapest priced GPU option at the observed peak, plus operations) costs no more than
/// the API at the observed volume → migrate; only at 10× the volume → hybrid (move the biggest routes as volume grows);
/// else stay.</item>
/// <item>Team skills <c>none</c>: one step down (nobody to run GPUs); <c>mlops</c> changes nothing.</item>
/// <item>Customisation <c>fine_tuning</c>: at least hybrid (own weights need a place to run).</item>
/// <item>Budget: self-hosting over the monthly budget → at most stay… unless privacy forbids the API.</item>
/// <item>Privacy: <c>some_routes</c> → at least hybrid; <c>all_data</c> → migrate, whatever it costs.</item>
/// </list>
/// </summary>
internal static class DecisionReportBuilder
{
    public static DecisionReport Build(TrafficProfile traffic, DecisionAnswers answers, GpuTable table)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(table);
        var model = table.Models.FirstOrDefault(m => m.Name == answers.ModelSize)
            ?? throw new ArgumentException($"model_size '{answers.ModelSize}' is not in the sizing table ({string.Join(", ", table.Models.Select(m => m.Name))})");
        var quantisation = table.Quantisations.FirstOrDefault(q => q.Name == answers.Quantisation)
            ?? throw new ArgumentException($"quantisation '{answers.Quantisation}' is not one of {string.Join(", ", table.Quantisations.Select(q => q.Name))}");
        if (answers.TargetUtilisation is <= 0 or > 1)
        {
            throw new ArgumentException("target_utilisation must be above 0 and at most 1");
        }

        var pricePerToken = traffic.Tokens == 0 ? 0m : traffic.ApiSpend / traffic.Tokens;
        CostAtVolume At(double factor, out List<GpuOption> options)
        {
            options = table.Gpus
                .Select(g => GpuSizing.Size(g, model, quantisation, table.MemoryUtilisation, traffic.PeakTokensPerSecond * factor, traffic.P95ContextTokens,
                    answers.TargetUtilisation, answers.GpuHourlyUsd.TryGetValue(g.Name, out var h) ? h : null))
                .OfType<GpuOption>()
                .ToList();
            var best = options.Where(o => o.MonthlyCost is not null).MinBy(o => o.MonthlyCost);
            var tokens = traffic.TokensPerMonth * factor;
            return new CostAtVolume(tokens, Math.Round((decimal)tokens * pricePerToken, 2), best is null ? null : best.MonthlyCost + answers.OpsMonthlyUsd, best);
        }

        var observed = At(1, out var gpus);
        var tenTimes = At(10, out _);
        double? breakEven = observed.SelfHostMonthly is decimal s && pricePerToken > 0 ? (double)(s / pricePerToken) : null;

        var reasons = new List<string>();
        Recommendation result;
        if (observed.SelfHostMonthly is not decimal selfHost)
        {
            result = Recommendation.Stay;
            reasons.Add("No priced GPU option fits this model: add gpu_hourly_usd for a GPU of the table, or choose a smaller model or quantisation.");
        }
        else if (selfHost <= observed.ApiMonthly)
        {
            result = Recommendation.Migrate;
            reasons.Add($"At the observed volume self-hosting costs ${selfHost:0.00} a month against ${observed.ApiMonthly:0.00} on the API.");
        }
        else if (tenTimes.SelfHostMonthly is decimal selfHost10 && selfHost10 <= tenTimes.ApiMonthly)
        {
            result = Recommendation.Hybrid;
            reasons.Add($"Self-hosting (${selfHost:0.00} a month) costs more than the API (${observed.ApiMonthly:0.00}) today, but less at 10× the volume (${selfHost10:0.00} against ${tenTimes.ApiMonthly:0.00}).");
        }
        else
        {
            result = Recommendation.Stay;
            reasons.Add($"The API (${observed.ApiMonthly:0.00} a month) is cheaper than self-hosting (${selfHost:0.00}) at the observed volume and at 10×.");
        }

        if (answers.TeamSkills == "none" && result > Recommendation.Stay)
        {
            result--;
            reasons.Add("Nobody on the team runs inference servers yet: one step less self-hosting.");
        }

        if (answers.Customisation == "fine_tuning" && result < Recommendation.Hybrid)
        {
            result = Recommendation.Hybrid;
            reasons.Add("Fine-tuned weights need a place to run: at least the routes that use them self-hosted.");
        }

        if (answers.BudgetMonthlyUsd is decimal budget && observed.SelfHostMonthly is decimal cost && cost > budget && result > Recommendation.Stay && answers.Privacy != "all_data")
        {
            result = Recommendation.Stay;
            reasons.Add($"Self-hosting (${cost:0.00} a month) is over the budget of ${budget:0.00}.");
        }

        if (answers.Privacy == "some_routes" && result < Recommendation.Hybrid)
        {
            result = Recommendation.Hybrid;
            reasons.Add("Some data may not leave: those routes self-hosted, the rest on the API.");
        }
        else if (answers.Privacy == "all_data" && result < Recommendation.Migrate)
        {
            result = Recommendation.Migrate;
            reasons.Add("No data may leave: every route self-hosted, whatever it costs.");
        }

        if (traffic.SensitiveRoutes.Count > 0)
        {
            reasons.Add($"Routes that keep or route personal data: {string.Join(", ", traffic.SensitiveRoutes)}.");
        }

        return new DecisionReport
        {
            Recommendation = result,
            Reasons = reasons,
            Traffic = traffic,
            Answers = answers,
            ApiPricePerMtok = Math.Round(pricePerToken * 1_000_000m, 4),
            Observed = observed,
            TenTimes = tenTimes,
            BreakEvenTokensPerMonth = breakEven,
            Gpus = gpus,
            Model = $"{model.Label} ({quantisation.Name})",
            Sources = string.Join("; ", table.Gpus.Select(g => g.Source).Concat([model.Source, quantisation.Source, table.MemoryUtilisationSource])),
        };
    }
}
