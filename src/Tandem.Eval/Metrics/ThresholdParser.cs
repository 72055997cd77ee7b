using System.Globalization;
using Tandem.Configuration;

namespace Tandem.Eval.Metrics;

/// <summary>
/// Reads the verdict's thresholds from the command line, refusing values whose unit a reader could take two ways:
/// <c>--max-accuracy-drop 2</c> (2 points, or 200 %?) and <c>--max-p95 800</c> (800 ms, or 800 s?). A gate that reads
/// them the wrong way round can never fail, so they are usage errors instead.
/// </summary>
public static class ThresholdParser
{
    /// <summary>
    /// Reads an accuracy drop: <c>2%</c> or <c>2pt</c> (percentage points, also <c>pp</c>), or a fraction below 1
    /// (<c>0.02</c>). Returns it as a fraction; false with <paramref name="error"/> for anything else.
    /// </summary>
    public static bool TryParseAccuracyDrop(string text, string option, out double fraction, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        fraction = 0;
        var t = text.Trim();
        var unit = t.EndsWith('%') ? 1 : t.EndsWith("pt", StringComparison.OrdinalIgnoreCase) || t.EndsWith("pp", StringComparison.OrdinalIgnoreCase) ? 2 : 0;
        var number = t[..^unit].TrimEnd();
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0)
        {
            error = $"{option}: '{text}' is not an accuracy drop (e.g. 2%, 2pt or 0.02)";
            return false;
        }

        if (unit > 0)
        {
            if (value > 100)
            {
                error = $"{option}: '{text}' is more than 100 points";
                return false;
            }

            fraction = value / 100;
            error = "";
            return true;
        }

        if (value >= 1)
        {
            error = $"{option}: '{text}' is ambiguous: write {number}% (or {number}pt) for {number} percentage points, or a fraction below 1 such as 0.02";
            return false;
        }

        fraction = value;
        error = "";
        return true;
    }

    /// <summary>Reads a positive latency with its unit (<c>800ms</c>, <c>2s</c>); a bare number is refused.</summary>
    public static bool TryParseLatency(string text, string option, out TimeSpan latency, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (ConfigLoader.TryParseDuration(text, requireUnit: true, out latency) && latency > TimeSpan.Zero)
        {
            error = "";
            return true;
        }

        var t = text.Trim();
        error = double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare) && double.IsFinite(bare) && bare > 0
            ? $"{option}: '{text}' needs a unit: {t}ms or {t}s"
            : $"{option}: '{text}' is not a positive duration (e.g. 800ms, 2s)";
        return false;
    }
}
