using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tandem.Migration;

/// <summary>Serialises gate reports for events and the admin API (Utf8JsonWriter: no reflection).</summary>
public static class EvidenceJson
{
    /// <summary>The report as a JSON object string.</summary>
    public static string Serialize(GateReport report)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, report);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the report as a JSON object.</summary>
    public static void Write(Utf8JsonWriter w, GateReport report)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(report);
        w.WriteStartObject();
        w.WriteNumber("samples", report.Samples);
        w.WriteNumber("compared", report.Compared);
        Number(w, "agreement", report.Agreement);
        if (report.AgreementInterval is { } ci)
        {
            w.WriteStartArray("agreement_ci95");
            w.WriteNumberValue(Math.Round(ci.Low, 4));
            w.WriteNumberValue(Math.Round(ci.High, 4));
            w.WriteEndArray();
        }

        Number(w, "candidate_error_rate", report.CandidateErrorRate);
        Number(w, "candidate_p95_ms", report.CandidateP95Ms);
        Number(w, "incumbent_p95_ms", report.IncumbentP95Ms);
        Number(w, "candidate_cost_per_request", report.CandidateCostPerRequest);
        Number(w, "judge_score", report.JudgeScore);
        w.WriteNumber("minutes_in_stage", Math.Round(report.InStage.TotalMinutes, 2));
        w.WriteBoolean("all_passed", report.AllPassed);
        w.WriteStartArray("gates");
        foreach (var g in report.Gates)
        {
            w.WriteStartObject();
            w.WriteString("gate", g.Name);
            Number(w, "value", g.Value);
            w.WriteString("threshold", g.Threshold);
            w.WriteNumber("samples", g.Samples);
            w.WriteBoolean("passed", g.Passed);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("top_disagreements");
        foreach (var (inc, cand, count) in report.TopDisagreements)
        {
            w.WriteStartObject();
            w.WriteString("incumbent", inc);
            w.WriteString("candidate", cand);
            w.WriteNumber("count", count);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v && !double.IsNaN(v))
        {
            w.WriteNumber(name, Math.Round(v, 6));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
