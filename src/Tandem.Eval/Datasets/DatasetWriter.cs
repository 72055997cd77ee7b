using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tandem.Quality;

namespace Tandem.Eval.Datasets;

/// <summary>What an export wrote: counts per file and the card.</summary>
public sealed record DatasetExportResult
{
    /// <summary>Lines of <c>train.jsonl</c>.</summary>
    public int Train { get; init; }

    /// <summary>Lines of <c>validation.jsonl</c>.</summary>
    public int Validation { get; init; }

    /// <summary>Cases of <c>eval-suite.jsonl</c> (the validation conversations with their preferred answer).</summary>
    public int SuiteCases { get; init; }

    /// <summary>The dataset's id: the first 12 hex digits of the SHA-256 of the training and validation files.</summary>
    public required string Id { get; init; }

    /// <summary>The card's JSON (also written as <c>dataset-card.json</c>).</summary>
    public required string CardJson { get; init; }
}

/// <summary>
/// Writes an export directory: <c>train.jsonl</c> and <c>validation.jsonl</c> in OpenAI's fine-tuning formats,
/// <c>eval-suite.jsonl</c> (the validation conversations as a <c>tandem eval</c> suite) and the dataset card
/// (<c>dataset-card.md</c>, <c>dataset-card.json</c>).
/// </summary>
public static class DatasetWriter
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    /// <summary>Prepares (scrubbed already when asked), splits and writes <paramref name="examples"/> to <paramref name="directory"/>.</summary>
    public static DatasetExportResult Write(IReadOnlyList<DatasetExample> examples, DatasetExportOptions options, CollectionCounts collected, DedupCounts dedup,
        string directory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(collected);
        ArgumentNullException.ThrowIfNull(dedup);
        Directory.CreateDirectory(directory);
        // Preference data needs a rejected answer; supervised data takes every example.
        var usable = options.Format == DatasetFormat.Dpo ? examples.Where(e => e.Rejected is not null).ToList() : examples.ToList();
        var train = usable.Where(e => DatasetPreparation.IsTrain(e, options.Split)).ToList();
        var validation = usable.Where(e => !DatasetPreparation.IsTrain(e, options.Split)).ToList();
        var classification = options.Task switch
        {
            "classification" => true,
            "generation" => false,
            _ => usable.Count > 0 && usable.All(e => e.Preferred.Length <= 64 && !e.Preferred.Contains('\n', StringComparison.Ordinal)),
        };

        var trainPath = Path.Combine(directory, "train.jsonl");
        var validationPath = Path.Combine(directory, "validation.jsonl");
        WriteLines(trainPath, train, options.Format);
        WriteLines(validationPath, validation, options.Format);
        var labels = usable.Select(e => e.Preferred.Trim()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        WriteSuite(Path.Combine(directory, "eval-suite.jsonl"), options.Route, validation, classification, labels);

        var id = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(trainPath).Concat(File.ReadAllBytes(validationPath)).ToArray()))[..12];
        var card = Card(id, usable, train, validation, options, collected, dedup, classification, now, examples.Count - usable.Count);
        File.WriteAllText(Path.Combine(directory, "dataset-card.json"), card + "\n");
        File.WriteAllText(Path.Combine(directory, "dataset-card.md"), DatasetCard.Markdown(card));
        return new DatasetExportResult { Train = train.Count, Validation = validation.Count, SuiteCases = validation.Count, Id = id, CardJson = card };
    }

    private static void WriteLines(string path, IReadOnlyList<DatasetExample> examples, DatasetFormat format)
    {
        using var file = File.Create(path);
        foreach (var e in examples)
        {
            using (var w = new Utf8JsonWriter(file, Compact))
            {
                w.WriteStartObject();
                if (format == DatasetFormat.Sft)
                {
                    w.WritePropertyName("messages");
                    ChatTurn.WriteMessages(w, [.. e.Prompt, new ChatTurn("assistant", e.Preferred)]);
                }
                else
                {
                    w.WriteStartObject("input");
                    w.WritePropertyName("messages");
                    ChatTurn.WriteMessages(w, e.Prompt);
                    w.WriteEndObject();
                    w.WritePropertyName("preferred_output");
                    ChatTurn.WriteMessages(w, [new ChatTurn("assistant", e.Preferred)]);
                    w.WritePropertyName("non_preferred_output");
                    ChatTurn.WriteMessages(w, [new ChatTurn("assistant", e.Rejected!)]);
                }

                w.WriteEndObject();
            }

            file.WriteByte((byte)'\n');
        }
    }

    private static void WriteSuite(string path, string route, IReadOnlyList<DatasetExample> validation, bool classification, IReadOnlyList<string> labels)
    {
        using var file = File.Create(path);
        using (var w = new Utf8JsonWriter(file, Compact))
        {
            w.WriteStartObject();
            w.WriteString("type", "suite");
            w.WriteString("name", route + " held-out feedback");
            w.WriteString("source", $"tandem feedback export: the validation conversations of route '{route}' with their preferred answers");
            if (classification)
            {
                w.WriteStartArray("labels");
                foreach (var l in labels)
                {
                    w.WriteStringValue(l);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        file.WriteByte((byte)'\n');
        foreach (var e in validation)
        {
            using (var w = new Utf8JsonWriter(file, Compact))
            {
                w.WriteStartObject();
                w.WriteString("id", e.RequestId);
                w.WritePropertyName("messages");
                ChatTurn.WriteMessages(w, e.Prompt);
                w.WriteString(classification ? "label" : "reference", classification ? e.Preferred.Trim() : e.Preferred);
                w.WriteEndObject();
            }

            file.WriteByte((byte)'\n');
        }
    }

    private static string Card(string id, IReadOnlyList<DatasetExample> usable, IReadOnlyList<DatasetExample> train, IReadOnlyList<DatasetExample> validation,
        DatasetExportOptions options, CollectionCounts collected, DedupCounts dedup, bool classification, DateTimeOffset now, int noRejected)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Indented))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("route", options.Route);
            w.WriteString("format", options.Format == DatasetFormat.Sft ? "sft" : "dpo");
            w.WriteString("task", classification ? "classification" : "generation");
            w.WriteString("created", now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WriteStartObject("date_range");
            if (usable.Count > 0)
            {
                w.WriteString("from", usable.Min(e => e.Time).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
                w.WriteString("to", usable.Max(e => e.Time).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            }

            w.WriteEndObject();
            Counts(w, "base_deployments", usable.GroupBy(e => e.Deployment ?? "unknown").Select(g => (g.Key, g.Count())));
            w.WriteStartObject("counts");
            w.WriteNumber("examples", usable.Count);
            w.WriteNumber("train", train.Count);
            w.WriteNumber("validation", validation.Count);
            w.WriteNumber("eval_suite_cases", validation.Count);
            w.WriteEndObject();
            Counts(w, "by_source", Enum.GetValues<ExampleSource>().Select(s => (s.ToString().ToLowerInvariant(), usable.Count(e => e.Source == s))));
            w.WriteStartObject("left_out");
            w.WriteNumber("exact_duplicates", dedup.ExactDuplicates);
            w.WriteNumber("near_duplicates", dedup.NearDuplicates);
            w.WriteNumber("no_conversation", collected.NoConversation);
            w.WriteNumber("low_rated_without_correction", collected.LowRatedWithoutCorrection);
            w.WriteNumber("no_answer", collected.NoAnswer);
            w.WriteNumber("no_rejected_answer", noRejected);
            w.WriteEndObject();
            Counts(w, "label_balance", classification
                ? usable.GroupBy(e => e.Preferred.Trim(), StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))
                : []);
            w.WriteStartObject("settings");
            w.WriteNumber("split", options.Split);
            w.WriteNumber("min_rating", options.MinRating);
            w.WriteNumber("near_duplicate_jaccard", options.NearDuplicate);
            w.WriteBoolean("scrubbed", options.Scrub);
            if (options.Since != DateTimeOffset.MinValue)
            {
                w.WriteString("since", options.Since.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            }

            w.WriteEndObject();
            w.WriteStartObject("files");
            w.WriteString("train", "train.jsonl");
            w.WriteString("validation", "validation.jsonl");
            w.WriteString("eval_suite", "eval-suite.jsonl");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Counts(Utf8JsonWriter w, string name, IEnumerable<(string Key, int Count)> counts)
    {
        w.WriteStartObject(name);
        foreach (var (k, n) in counts)
        {
            w.WriteNumber(k, n);
        }

        w.WriteEndObject();
    }
}
