using System.Globalization;
using System.Security;
using System.Text;

namespace Tandem.Eval.Routing;

/// <summary>Draws quality-versus-strong-share curves as a small self-contained SVG (no scripts, no fonts beyond sans-serif).</summary>
internal static class RouterCurveSvg
{
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#7f7f7f", "#2ca02c", "#9467bd"];

    public static string Render(IReadOnlyList<(string Name, RouterCurve Curve)> curves)
    {
        const double W = 560, H = 380, Left = 60, Right = 20, Top = 20, Bottom = 50;
        var c = CultureInfo.InvariantCulture;
        var all = curves.SelectMany(x => x.Curve.Points).Select(p => p.Quality).ToList();
        var low = Math.Floor(all.Min() * 20) / 20;
        var high = Math.Ceiling(all.Max() * 20) / 20;
        if (high <= low)
        {
            high = low + 0.05;
        }

        double X(double share) => Left + (share * (W - Left - Right));
        double Y(double quality) => H - Bottom - ((quality - low) / (high - low) * (H - Top - Bottom));

        var svg = new StringBuilder();
        svg.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append(c, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        svg.Append(c, $"<line x1=\"{Left}\" y1=\"{H - Bottom}\" x2=\"{W - Right}\" y2=\"{H - Bottom}\" stroke=\"black\"/>\n");
        svg.Append(c, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{H - Bottom}\" stroke=\"black\"/>\n");
        for (var t = 0; t <= 10; t += 2)
        {
            svg.Append(c, $"<text x=\"{X(t / 10.0):0.#}\" y=\"{H - Bottom + 15}\" text-anchor=\"middle\">{t * 10}%</text>\n");
        }

        for (var q = low; q <= high + 1e-9; q += 0.05)
        {
            svg.Append(c, $"<text x=\"{Left - 6}\" y=\"{Y(q) + 4:0.#}\" text-anchor=\"end\">{q:0.00}</text>\n");
        }

        svg.Append(c, $"<text x=\"{(Left + W - Right) / 2}\" y=\"{H - 12}\" text-anchor=\"middle\">share of calls to the strong model</text>\n");
        svg.Append(c, $"<text x=\"14\" y=\"{(Top + H - Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(Top + H - Bottom) / 2})\">quality (share answered well)</text>\n");
        for (var i = 0; i < curves.Count; i++)
        {
            var colour = Colours[i % Colours.Length];
            var points = string.Join(' ', curves[i].Curve.Points.Select(p => string.Create(c, $"{X(p.StrongShare):0.##},{Y(p.Quality):0.##}")));
            svg.Append(c, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{points}\"/>\n");
            svg.Append(c, $"<text x=\"{Left + 10}\" y=\"{Top + 14 + (i * 14)}\" fill=\"{colour}\">{SecurityElement.Escape(curves[i].Name)} (APGR {curves[i].Curve.Apgr:0.000})</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
