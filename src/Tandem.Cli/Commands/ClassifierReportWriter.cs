using System.Globalization;
using Tandem.Classification;
using Tandem.Eval.Classification;

namespace Tandem.Cli.Commands;

/// <summary>Prints an <see cref="IntentReport"/>: full coverage, the calibrated threshold, out-of-scope recall, the curve.</summary>
internal static class ClassifierReportWriter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static async Task WriteAsync(TextWriter console, IntentReport report, IntentCalibration calibration)
    {
        await console.WriteLineAsync($"full coverage: accuracy {Pct(report.Accuracy)} of {report.Total.ToString(C)}" +
            (report.OutOfScope is null ? "" : $"; in-scope accuracy {Pct(report.InScopeAccuracy)} of {report.InScope.ToString(C)}")).ConfigureAwait(false);
        var t = report.AtThreshold;
        await console.WriteLineAsync($"threshold {Threshold(calibration.Threshold)} (calibrated for {Pct(calibration.TargetAccuracy)} accuracy): accuracy {Pct(t.Accuracy)} at coverage {Pct(t.Coverage)} ({t.Answered.ToString(C)} of {t.Total.ToString(C)} answered locally)").ConfigureAwait(false);
        if (report.OutOfScope is { } oos)
        {
            var i = report.InScopeAtThreshold;
            await console.WriteLineAsync($"  in scope: accuracy {Pct(i.Accuracy)} at coverage {Pct(i.Coverage)}").ConfigureAwait(false);
            await console.WriteLineAsync($"out-of-scope '{oos}' ({report.OutOfScopeCount.ToString(C)}): recall {Pct(report.OutOfScopeRecall)} predicted as {oos}, {Pct(report.OutOfScopeRecallWithThreshold)} predicted as {oos} or left to the LLM below the threshold").ConfigureAwait(false);
        }

        var best = report.BestAtTarget;
        await console.WriteLineAsync($"most coverage at >= {Pct(calibration.TargetAccuracy)} on this set (threshold {Threshold(best.Threshold)} chosen on it, for comparison): coverage {Pct(best.Coverage)}").ConfigureAwait(false);
        await console.WriteLineAsync("threshold  coverage  accuracy").ConfigureAwait(false);
        foreach (var p in report.Curve)
        {
            await console.WriteLineAsync($"{p.Threshold.ToString("0.00", C),9}  {Pct(p.Coverage),8}  {Pct(p.Accuracy),8}").ConfigureAwait(false);
        }
    }

    private static string Pct(double value) => double.IsNaN(value) ? "n/a" : value.ToString("P1", C);

    private static string Threshold(double value) => double.IsPositiveInfinity(value) ? "none (never answers)" : value.ToString("0.0000", C);
}
