using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tandem.Eval.Suites;

namespace Tandem.Eval.Import;

/// <summary>One imported example.</summary>
/// <param name="Id">Stable id: dataset, split and the row's position in the source file.</param>
/// <param name="Text">The user's message.</param>
/// <param name="Label">The gold intent.</param>
public sealed record ImportedRow(string Id, string Text, string Label);

/// <summary>An intent-recognition suite ready to be written.</summary>
public sealed record ImportedSuite(string Name, string Template, IReadOnlyList<string> Labels, IReadOnlyList<ImportedRow> Rows, string Source);

/// <summary>
/// Turns public intent datasets into ready suites: the prompt lists the label set and asks for one label; cases
/// are a seeded shuffle of the split (the files are grouped by intent), so <c>--limit</c> keeps every intent likely.
/// </summary>
public static class DatasetImporter
{
    /// <summary>The prompt template of imported intent suites.</summary>
    public static string IntentTemplate(IEnumerable<string> labels) =>
        "Classify the customer's message into exactly one of the intents listed below.\n" +
        "Reply with the intent name only, exactly as written, and nothing else.\n\n" +
        "Intents: " + string.Join(", ", labels) + "\n\n" +
        "Message: " + SuiteLoader.TextPlaceholder;

    /// <summary>CLINC150 (<c>clinc150/data_full.json</c>, rows <c>[text, intent]</c>); splits train, val, test.</summary>
    public static ImportedSuite Clinc150(string datasetsDir, string split, int? limit, int seed, bool includeOutOfScope = false)
    {
        ArgumentNullException.ThrowIfNull(datasetsDir);
        if (split is not ("train" or "val" or "test"))
        {
            throw new ArgumentException($"unknown CLINC150 split '{split}' (expected train, val or test)", nameof(split));
        }

        var path = Path.Combine(datasetsDir, "clinc150", "data_full.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var rows = new List<ImportedRow>();
        void Add(string key)
        {
            var i = 0;
            foreach (var pair in doc.RootElement.GetProperty(key).EnumerateArray())
            {
                rows.Add(new ImportedRow($"clinc150-{key}-{i.ToString("D4", CultureInfo.InvariantCulture)}", pair[0].GetString()!, pair[1].GetString()!));
                i++;
            }
        }

        Add(split);
        if (includeOutOfScope)
        {
            Add("oos_" + split);
        }

        return Build($"clinc150-{split}", rows, limit, seed,
            "CLINC150 (clinc/oos-eval, data_full.json), Larson et al. 2019, CC BY 3.0");
    }

    /// <summary>BANKING77 (<c>banking77/{train,test}.csv</c>, columns <c>text,category</c>, RFC 4180 quoting).</summary>
    public static ImportedSuite Banking77(string datasetsDir, string split, int? limit, int seed)
    {
        ArgumentNullException.ThrowIfNull(datasetsDir);
        if (split is not ("train" or "test"))
        {
            throw new ArgumentException($"unknown BANKING77 split '{split}' (expected train or test)", nameof(split));
        }

        var path = Path.Combine(datasetsDir, "banking77", split + ".csv");
        using var reader = new StreamReader(path);
        var rows = new List<ImportedRow>();
        var first = true;
        var i = 0;
        foreach (var row in CsvReader.ReadRows(reader))
        {
            if (first)
            {
                first = false;
                if (row.Length < 2 || row[0] != "text" || row[1] != "category")
                {
                    throw new FormatException($"{path}: expected the header 'text,category'");
                }

                continue;
            }

            if (row.Length != 2)
            {
                throw new FormatException($"{path}: data row {i + 1} has {row.Length} fields, expected 2");
            }

            rows.Add(new ImportedRow($"banking77-{split}-{i.ToString("D4", CultureInfo.InvariantCulture)}", row[0], row[1]));
            i++;
        }

        return Build($"banking77-{split}", rows, limit, seed,
            "BANKING77 (PolyAI-LDN/task-specific-datasets), Casanueva et al. 2020, CC BY 4.0");
    }

    private static ImportedSuite Build(string name, List<ImportedRow> rows, int? limit, int seed, string source)
    {
        var labels = rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var shuffled = rows.ToArray();
        new Random(seed).Shuffle(shuffled);
        var taken = limit is int n && n < shuffled.Length ? shuffled[..Math.Max(0, n)] : shuffled;
        return new ImportedSuite(name, IntentTemplate(labels), labels, taken, source);
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the suite as JSONL: a header with template and labels, then one case per line.</summary>
    public static void WriteSuite(ImportedSuite suite, string path)
    {
        ArgumentNullException.ThrowIfNull(suite);
        using var file = File.Create(path);
        using (var w = new Utf8JsonWriter(file, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("type", "suite");
            w.WriteString("name", suite.Name);
            w.WriteString("source", suite.Source);
            w.WriteString("template", suite.Template);
            w.WriteStartArray("labels");
            foreach (var l in suite.Labels)
            {
                w.WriteStringValue(l);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        file.WriteByte((byte)'\n');
        foreach (var r in suite.Rows)
        {
            using (var w = new Utf8JsonWriter(file, WriterOptions))
            {
                w.WriteStartObject();
                w.WriteString("id", r.Id);
                w.WriteString("text", r.Text);
                w.WriteString("label", r.Label);
                w.WriteEndObject();
            }

            file.WriteByte((byte)'\n');
        }
    }

    /// <summary>Writes <c>{"input":text,"answer":label}</c> lines for <c>tandem simulate --answers</c>.</summary>
    public static void WriteSimulatorAnswers(ImportedSuite suite, string path)
    {
        ArgumentNullException.ThrowIfNull(suite);
        using var file = File.Create(path);
        foreach (var r in suite.Rows)
        {
            using (var w = new Utf8JsonWriter(file, WriterOptions))
            {
                w.WriteStartObject();
                w.WriteString("input", r.Text);
                w.WriteString("answer", r.Label);
                w.WriteEndObject();
            }

            file.WriteByte((byte)'\n');
        }
    }
}
