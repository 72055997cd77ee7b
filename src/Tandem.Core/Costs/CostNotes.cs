using System.Globalization;

namespace Tandem.Costs;

/// <summary>The plain-language notes of a cost report: what a reader needs so as not to misread its figures.</summary>
internal static class CostNotes
{
    /// <summary>The line of requests refused before a deployment was chosen.</summary>
    public const string RefusedLabel = "(refused)";

    /// <summary>What the notes are drawn from.</summary>
    /// <param name="By">The grouping.</param>
    /// <param name="WindowDays">Length of the window.</param>
    /// <param name="Observed">From the first record in the window (or the window's start) to its end.</param>
    /// <param name="HasRecords">Whether the window holds any record.</param>
    /// <param name="FixedSpend">Fixed capacity cost charged for the window.</param>
    /// <param name="Refused">Requests refused before a deployment was chosen.</param>
    /// <param name="Capacity">The fixed-cost deployments' figures.</param>
    /// <param name="MarginalPerMtok">Each fixed-cost deployment's marginal price per million tokens.</param>
    public sealed record Facts(CostGrouping By, double WindowDays, TimeSpan Observed, bool HasRecords, decimal FixedSpend, long Refused,
        IReadOnlyList<FixedCapacityReport> Capacity, IReadOnlyDictionary<string, decimal> MarginalPerMtok);

    public static IReadOnlyList<string> For(Facts f)
    {
        var notes = new List<string>();
        var window = TimeSpan.FromDays(f.WindowDays);
        if (f.FixedSpend > 0 && !f.HasRecords)
        {
            notes.Add($"No records in the window of {CostFormat.Span(window)}, yet its fixed capacity cost, {CostFormat.Money(f.FixedSpend)}, is charged in full.");
        }
        else if (f.FixedSpend > 0 && f.Observed.TotalDays < f.WindowDays * 0.99)
        {
            notes.Add($"Records cover only the last {CostFormat.Span(f.Observed)} of the window of {CostFormat.Span(window)}, but fixed capacity is charged for the whole window: {CostFormat.Money(f.FixedSpend)}.");
        }

        if (f.HasRecords && f.Observed < TimeSpan.FromDays(1))
        {
            var basis = f.Observed < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : f.Observed; // the projection's floor
            notes.Add($"Projections scale {CostFormat.Span(basis)} of records up to 30 days; so short a history makes them rough.");
        }

        if (f.By == CostGrouping.Day && f.FixedSpend > 0)
        {
            notes.Add("By day, a capacity's fixed cost goes to the days of the traffic it is charged to, by tokens; a day without that traffic shows none of it.");
        }

        if (f.Refused > 0)
        {
            notes.Add($"{Count(f.Refused)} request(s) were refused before a deployment was chosen (bad request, unknown model, or a route the key may not use): "
                + $"listed as {RefusedLabel}, at no cost.");
        }

        foreach (var c in f.Capacity)
        {
            if (BreakEven(c, f.MarginalPerMtok.GetValueOrDefault(c.Deployment)) is { } note)
            {
                notes.Add(note);
            }
        }

        return notes;
    }

    private static string? BreakEven(FixedCapacityReport c, decimal marginalPerMtok)
    {
        if (c.BreakEvenNever)
        {
            return $"{c.Deployment}: {c.Alternative} costs {CostFormat.Money(c.BlendedAlternativePerMtok ?? 0)} per 1M tokens of this mix, no more than the marginal "
                + $"{CostFormat.Money(marginalPerMtok)}: no volume pays back the fixed cost against {c.Alternative}.";
        }

        if (c.BreakEvenTokensPerMonth is not decimal breakEven)
        {
            return null;
        }

        var observed = c.ObservedShareOfBreakEven is double share ? $"; observed traffic is {Percent(share)} of it" : "";
        if (c.BreakEvenUtilisation is not double utilisation || c.CapacityTokensPerMonth is not decimal capacity)
        {
            return $"{c.Deployment}: break-even against {c.Alternative} is {Count(breakEven)} tokens a month{observed}.";
        }

        var perSecond = capacity / (30m * 86_400m);
        if (utilisation > 1)
        {
            return $"{c.Deployment}: break-even against {c.Alternative} needs {Count(breakEven)} tokens a month, {Percent(utilisation)} of what its capacity "
                + $"serves ({Count(capacity)} at {Count(perSecond)} tokens/s): it cannot pay for itself at this capacity.";
        }

        return $"{c.Deployment}: break-even against {c.Alternative} needs {Percent(utilisation)} sustained utilisation "
            + $"({Count(breakEven / (30m * 86_400m))} of {Count(perSecond)} tokens/s){observed}.";
    }

    private static string Count(decimal value) => Math.Round(value).ToString("#,##0", CultureInfo.InvariantCulture);

    private static string Percent(double share) =>
        (share * 100).ToString(share < 0.001 ? "0.####" : share < 0.1 ? "0.#" : "#,##0", CultureInfo.InvariantCulture) + " %";
}

/// <summary>How cost reports write money and time spans, in the console and in notes alike.</summary>
public static class CostFormat
{
    /// <summary>Money as reports show it: <c>$1,200.00</c> from one dollar up, else up to six decimals (<c>$0.000549</c>).</summary>
    public static string Money(decimal value) =>
        value.ToString(Math.Abs(value) < 1 ? "$0.######" : "$#,##0.00", CultureInfo.InvariantCulture);

    /// <summary>A span in the largest unit that keeps it readable: <c>45 seconds</c>, <c>12 minutes</c>, <c>2.5 hours</c>, <c>30 days</c>.</summary>
    public static string Span(TimeSpan span) => span.TotalMinutes < 1 ? Unit(span.TotalSeconds, "second")
        : span.TotalHours < 1 ? Unit(span.TotalMinutes, "minute")
        : span.TotalDays < 1 ? Unit(span.TotalHours, "hour")
        : Unit(span.TotalDays, "day");

    private static string Unit(double value, string unit)
    {
        var text = value.ToString("0.#", CultureInfo.InvariantCulture);
        return text == "1" ? "1 " + unit : text + " " + unit + "s";
    }
}
