using System.Globalization;

namespace Tandem.Simulator;

/// <summary>
/// A delay distribution written as <c>20ms</c> (fixed), <c>uniform:10ms-30ms</c> or <c>normal:20ms,5ms</c>
/// (clamped at zero).
/// </summary>
public sealed record Distribution
{
    private Distribution(string kind, double a, double b)
    {
        Kind = kind;
        A = a;
        B = b;
    }

    /// <summary>No delay.</summary>
    public static Distribution Zero { get; } = new("fixed", 0, 0);

    /// <summary><c>fixed</c>, <c>uniform</c> or <c>normal</c>.</summary>
    public string Kind { get; }

    /// <summary>Fixed value, lower bound or mean, in milliseconds.</summary>
    public double A { get; }

    /// <summary>Upper bound or standard deviation, in milliseconds.</summary>
    public double B { get; }

    /// <summary>Creates a fixed delay.</summary>
    public static Distribution Fixed(TimeSpan value) => new("fixed", value.TotalMilliseconds, 0);

    /// <summary>Parses the textual form.</summary>
    public static Distribution Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.StartsWith("uniform:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = t[8..].Split('-', 2);
            if (parts.Length != 2)
            {
                throw new FormatException($"'{text}': expected uniform:LOW-HIGH, e.g. uniform:10ms-30ms");
            }

            return new("uniform", Ms(parts[0], text), Ms(parts[1], text));
        }

        if (t.StartsWith("normal:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = t[7..].Split(',', 2);
            if (parts.Length != 2)
            {
                throw new FormatException($"'{text}': expected normal:MEAN,STDDEV, e.g. normal:20ms,5ms");
            }

            return new("normal", Ms(parts[0], text), Ms(parts[1], text));
        }

        return new("fixed", Ms(t, text), 0);
    }

    /// <summary>Draws one delay.</summary>
    public TimeSpan Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ms = Kind switch
        {
            "uniform" => A + (random.NextDouble() * (B - A)),
            "normal" => A + (B * Gaussian(random)),
            _ => A,
        };
        return TimeSpan.FromMilliseconds(Math.Max(0, ms));
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        "uniform" => $"uniform:{A}ms-{B}ms",
        "normal" => $"normal:{A}ms,{B}ms",
        _ => $"{A}ms",
    };

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static double Ms(string part, string whole)
    {
        var p = part.Trim();
        double factor = 1000;
        if (p.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            factor = 1;
            p = p[..^2];
        }
        else if (p.EndsWith('s'))
        {
            p = p[..^1];
        }

        if (!double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0)
        {
            throw new FormatException($"'{whole}': '{part}' is not a duration such as 20ms or 1.5s");
        }

        return v * factor;
    }
}
