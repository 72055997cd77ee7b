using System.Globalization;
using System.Text.RegularExpressions;

namespace Tandem.Configuration;

/// <summary>Checks of a route's <c>migration:</c> section.</summary>
public static partial class ConfigValidator
{
    private static void ValidateMigration(MigrationConfig m, string path, HashSet<string> deployments, List<string> errors)
    {
        CheckDeployment(m.To, $"{path}.to", deployments, errors);
        if (m.Stage is not ("shadow" or "canary" or "cutover" or "full"))
        {
            errors.Add($"{path}.stage: unknown stage '{m.Stage}' (expected shadow, canary, cutover or full)");
        }

        if (!IsShare(m.ShadowRate))
        {
            errors.Add($"{path}.shadow_rate: must be between 0 and 1");
        }
        else if (m.ShadowRate == 0 && m.Auto)
        {
            // Gates are evaluated on shadow samples at every stage: with none, auto would wait for ever.
            errors.Add($"{path}.shadow_rate: 0 sends no shadow calls, so the gates never get a sample and auto: true never advances; set a rate above 0 or auto: false");
        }

        if (m.ShadowConcurrency < 1)
        {
            errors.Add($"{path}.shadow_concurrency: must be at least 1");
        }

        if (m.CanarySteps.Count == 0 || m.CanarySteps.Any(p => !(p > 0 && p < 100)))
        {
            errors.Add($"{path}.canary_steps: needs one or more percentages between 0 and 100");
        }
        else
        {
            for (var i = 1; i < m.CanarySteps.Count; i++)
            {
                if (m.CanarySteps[i] <= m.CanarySteps[i - 1])
                {
                    var steps = string.Join(", ", m.CanarySteps.Select(p => p.ToString(CultureInfo.InvariantCulture)));
                    errors.Add($"{path}.canary_steps[{i}]: each step must send more traffic than the one before ({steps})");
                    break;
                }
            }
        }

        if (m.Compare.Kind is not ("classification" or "structured" or "text"))
        {
            errors.Add($"{path}.compare.kind: unknown kind '{m.Compare.Kind}' (expected classification, structured or text)");
        }

        if (!IsShare(m.Compare.MinSimilarity))
        {
            errors.Add($"{path}.compare.min_similarity: must be between 0 and 1");
        }

        if (!(m.Compare.Label is "normalized" || m.Compare.Label.StartsWith("json:", StringComparison.Ordinal) || m.Compare.Label.StartsWith("regex:", StringComparison.Ordinal)))
        {
            errors.Add($"{path}.compare.label: '{m.Compare.Label}' is not normalized, json:FIELD or regex:PATTERN");
        }
        else if (m.Compare.Label.StartsWith("regex:", StringComparison.Ordinal))
        {
            try
            {
                _ = new Regex(m.Compare.Label[6..], RegexOptions.None, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException e)
            {
                errors.Add($"{path}.compare.label: invalid regular expression: {e.Message}");
            }
        }

        CheckDuration(m.EvaluateEvery, $"{path}.evaluate_every", errors);
        if (m.HoldLimit is not null)
        {
            CheckDuration(m.HoldLimit, $"{path}.hold_limit", errors, TimeSpan.FromDays(3650));
        }
        CheckDeployment(m.Judge, $"{path}.judge", deployments, errors);
        if (!IsShare(m.JudgeRate))
        {
            errors.Add($"{path}.judge_rate: must be between 0 and 1");
        }

        ValidateGates(m.Gates, m.Judge, $"{path}.gates", errors);
    }

    private static void ValidateGates(GatesConfig g, string? judge, string path, List<string> errors)
    {
        if (g.MinJudgeScore is not null && judge is null)
        {
            errors.Add($"{path}.min_judge_score: needs a judge deployment (migration.judge)");
        }

        if (g.MinJudgeScore is double score && !(score >= 1 && score <= 5))
        {
            errors.Add($"{path}.min_judge_score: must be between 1 and 5 (judge scores run from 1 to 5)");
        }

        if (ConfigLoader.ReadDuration(g.MinDuration, requireUnit: false, out _) != DurationReading.Ok)
        {
            errors.Add($"{path}.min_duration: '{g.MinDuration}' is not a duration (e.g. 0s, 10m, 1h)");
        }

        if (g.MinSamples < 1)
        {
            errors.Add($"{path}.min_samples: must be at least 1");
        }

        // Rates are shares (0.9), not percentages (90): a gate above 1 could never pass, or never fail.
        if (g.MinAgreement is double agreement && !IsShare(agreement))
        {
            errors.Add($"{path}.min_agreement: must be between 0 and 1 (a share: 0.9 means 90 %)");
        }

        if (g.MaxErrorRate is double errorRate && !IsShare(errorRate))
        {
            errors.Add($"{path}.max_error_rate: must be between 0 and 1 (a share: 0.02 means 2 %)");
        }

        if (g.MaxP95Ms is double p95 && !(p95 > 0 && double.IsFinite(p95)))
        {
            errors.Add($"{path}.max_p95_ms: must be positive");
        }

        if (g.MaxP95Ratio is double ratio && !(ratio > 0 && double.IsFinite(ratio)))
        {
            errors.Add($"{path}.max_p95_ratio: must be positive");
        }

        if (g.MaxCostPerRequest is double cost && !(cost >= 0 && double.IsFinite(cost)))
        {
            errors.Add($"{path}.max_cost_per_request: must be zero or more");
        }
    }

    private static bool IsShare(double value) => value >= 0 && value <= 1;
}
