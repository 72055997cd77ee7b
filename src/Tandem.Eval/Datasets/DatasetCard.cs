using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tandem.Eval.Datasets;

/// <summary>The dataset card as Markdown, written from its JSON (one source of truth for both).</summary>
public static class DatasetCard
{
    /// <summary>Renders <c>dataset-card.json</c> as <c>dataset-card.md</c>.</summary>
    public static string Markdown(string cardJson)
    {
        using var doc = JsonDocument.Parse(cardJson);
        var c = doc.RootElement;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"# Dataset {c.GetProperty("id").GetString()}: route `{c.GetProperty("route").GetString()}`\n\n");
        sb.Append(inv, $"Exported by `tandem feedback export` on {c.GetProperty("created").GetString()} as **{c.GetProperty("format").GetString()}** ")
            .Append(inv, $"(OpenAI fine-tuning JSONL) for a **{c.GetProperty("task").GetString()}** task.\n\n");
        var range = c.GetProperty("date_range");
        sb.Append("Requests served ")
            .Append(range.TryGetProperty("from", out var from) ? $"from {from.GetString()} to {range.GetProperty("to").GetString()}" : "(none)")
            .Append(".\n\n");
        Table(sb, "Files and counts", c.GetProperty("counts"));
        Table(sb, "Examples by source", c.GetProperty("by_source"));
        Table(sb, "Base deployments (that served the requests)", c.GetProperty("base_deployments"));
        Table(sb, "Left out", c.GetProperty("left_out"));
        if (c.GetProperty("label_balance").EnumerateObject().Any())
        {
            Table(sb, "Label balance", c.GetProperty("label_balance"));
        }

        Table(sb, "Settings", c.GetProperty("settings"));
        sb.Append("The split is by conversation (a hash of its system and first user turn), so no conversation is on both sides; ")
            .Append("`eval-suite.jsonl` holds the validation conversations in `tandem eval` format: score the base and the adapter on it before promoting.\n");
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, string title, JsonElement obj)
    {
        sb.Append("## ").Append(title).Append("\n\n| | |\n| --- | --- |\n");
        foreach (var p in obj.EnumerateObject())
        {
            sb.Append("| ").Append(p.Name).Append(" | ").Append(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText()).Append(" |\n");
        }

        sb.Append('\n');
    }
}
