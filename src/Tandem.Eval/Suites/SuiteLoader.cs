using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tandem.Quality;

namespace Tandem.Eval.Suites;

/// <summary>Thrown when a suite file cannot be used; the message names the file and line.</summary>
public sealed class SuiteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SuiteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SuiteException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SuiteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Reads suites. JSONL: an optional first line <c>{"type":"suite", "name", "template", "system", "labels", "rubric",
/// "source"}</c>, then one case per line: <c>id</c>; <c>messages</c> (OpenAI shape) or <c>text</c> (filled into the
/// template's <c>{text}</c>); and an expectation: <c>label</c>, <c>required_fields</c>, or <c>reference</c>/<c>rubric</c>.
/// CSV: a header row naming <c>id</c>, <c>text</c> (or <c>input</c>, <c>prompt</c>), <c>label</c> (or <c>category</c>,
/// <c>intent</c>), <c>reference</c>, <c>rubric</c>, <c>required_fields</c> (separated by <c>;</c>).
/// </summary>
public static class SuiteLoader
{
    /// <summary>The placeholder a template's case text replaces.</summary>
    public const string TextPlaceholder = "{text}";

    /// <summary>Loads a suite; <paramref name="template"/> (for CSV, or to override a JSONL header's) may be null.</summary>
    public static EvalSuite Load(string path, string? template = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SuiteException($"{path}: cannot read: {e.Message}", e);
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData([.. bytes, .. Encoding.UTF8.GetBytes("\0" + (template ?? ""))]));
        var text = Encoding.UTF8.GetString(bytes);
        var name = Path.GetFileNameWithoutExtension(path);
        return path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? LoadCsv(path, text, name, template, fingerprint)
            : LoadJsonl(path, text, name, template, fingerprint);
    }

    private static EvalSuite LoadJsonl(string path, string text, string name, string? template, string fingerprint)
    {
        string? system = null, rubric = null, source = null;
        var labels = new List<string>();
        var cases = new List<EvalCase>();
        var lineNo = 0;
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new SuiteException($"{path}:{lineNo}: not valid JSON ({e.Message})", e);
            }

            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new SuiteException($"{path}:{lineNo}: expected a JSON object");
                }

                if (Str(root, "type") == "suite")
                {
                    if (cases.Count > 0)
                    {
                        throw new SuiteException($"{path}:{lineNo}: the suite header must come before the cases");
                    }

                    name = Str(root, "name") ?? name;
                    template ??= Str(root, "template");
                    system = Str(root, "system");
                    rubric = Str(root, "rubric");
                    source = Str(root, "source");
                    if (root.TryGetProperty("labels", out var ls) && ls.ValueKind == JsonValueKind.Array)
                    {
                        labels.AddRange(ls.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.String).Select(l => l.GetString()!));
                    }

                    continue;
                }

                var id = Str(root, "id") ?? (root.TryGetProperty("id", out var idNum) && idNum.ValueKind == JsonValueKind.Number ? idNum.GetRawText() : null)
                    ?? "line-" + lineNo;
                IReadOnlyList<ChatTurn> messages;
                if (root.TryGetProperty("messages", out var ms) && ms.ValueKind == JsonValueKind.Array)
                {
                    messages = ChatTurn.FromRequestBody(Encoding.UTF8.GetBytes("{\"messages\":" + ms.GetRawText() + "}"));
                    if (messages.Count == 0)
                    {
                        throw new SuiteException($"{path}:{lineNo}: 'messages' is empty");
                    }
                }
                else if ((Str(root, "text") ?? Str(root, "input")) is { } caseText)
                {
                    messages = Fill(Str(root, "template") ?? template, system, caseText);
                }
                else
                {
                    throw new SuiteException($"{path}:{lineNo}: a case needs 'messages' or 'text'");
                }

                var required = root.TryGetProperty("required_fields", out var rf) && rf.ValueKind == JsonValueKind.Array
                    ? rf.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.String).Select(f => f.GetString()!).ToArray()
                    : [];
                cases.Add(MakeCase($"{path}:{lineNo}", id, messages, Str(root, "label") ?? Str(root, "intent"), required, Str(root, "reference"), Str(root, "rubric") ?? rubric));
            }
        }

        return Finish(path, name, cases, labels, rubric, fingerprint, source);
    }

    private static EvalSuite LoadCsv(string path, string text, string name, string? template, string fingerprint)
    {
        var rows = CsvReader.ReadRows(new StringReader(text)).ToList();
        if (rows.Count == 0)
        {
            throw new SuiteException($"{path}: empty CSV");
        }

        var header = rows[0].Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int Col(params string[] names) => Array.FindIndex(header, h => names.Contains(h));
        var idCol = Col("id");
        var textCol = Col("text", "input", "prompt", "question");
        var labelCol = Col("label", "category", "intent");
        var refCol = Col("reference", "reference_answer");
        var rubricCol = Col("rubric");
        var fieldsCol = Col("required_fields");
        if (textCol < 0)
        {
            throw new SuiteException($"{path}: the header needs a 'text' (or 'input', 'prompt') column");
        }

        var cases = new List<EvalCase>();
        for (var i = 1; i < rows.Count; i++)
        {
            var row = rows[i];
            string? Cell(int col) => col >= 0 && col < row.Length && row[col].Length > 0 ? row[col] : null;
            var where = $"{path}: row {i + 1}";
            var caseText = Cell(textCol) ?? throw new SuiteException($"{where}: empty text");
            var required = Cell(fieldsCol)?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
            cases.Add(MakeCase(where, Cell(idCol) ?? "row-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Fill(template, null, caseText), Cell(labelCol), required, Cell(refCol), Cell(rubricCol)));
        }

        return Finish(path, name, cases, [], null, fingerprint, null);
    }

    private static EvalCase MakeCase(string where, string id, IReadOnlyList<ChatTurn> messages, string? label, string[] required, string? reference, string? rubric)
    {
        var kind = label is not null ? CaseKind.Classification
            : required.Length > 0 ? CaseKind.Extraction
            : reference is not null || rubric is not null ? CaseKind.Generation
            : throw new SuiteException($"{where}: the case has no expectation (label, required_fields, reference or rubric)");
        return new EvalCase { Id = id, Messages = messages, Kind = kind, Label = label, RequiredFields = required, Reference = reference, Rubric = rubric };
    }

    private static EvalSuite Finish(string path, string name, List<EvalCase> cases, List<string> labels, string? rubric, string fingerprint, string? source)
    {
        if (cases.Count == 0)
        {
            throw new SuiteException($"{path}: no cases");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in cases)
        {
            if (!seen.Add(c.Id))
            {
                throw new SuiteException($"{path}: duplicate case id '{c.Id}'");
            }
        }

        if (labels.Count == 0)
        {
            labels.AddRange(cases.Where(c => c.Label is not null).Select(c => c.Label!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        }

        return new EvalSuite { Name = name, Cases = cases, Labels = labels, Rubric = rubric, Fingerprint = fingerprint, Source = source };
    }

    /// <summary>Builds the messages of a text case: the optional system message, then the template with the text filled in.</summary>
    public static IReadOnlyList<ChatTurn> Fill(string? template, string? system, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var user = template is null ? text : template.Replace(TextPlaceholder, text, StringComparison.Ordinal);
        return system is null ? [new ChatTurn("user", user)] : [new ChatTurn("system", system), new ChatTurn("user", user)];
    }

    private static string? Str(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
