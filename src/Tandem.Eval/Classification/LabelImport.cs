using System.Globalization;
using Tandem.Classification;
using Tandem.Eval.Suites;

namespace Tandem.Eval.Classification;

/// <summary>What the raters' files hold: every label, the agreement, and the agreed labels.</summary>
public sealed record LabelImportResult
{
    /// <summary>The raters, in file order (each file's name without its extension).</summary>
    public required IReadOnlyList<string> Raters { get; init; }

    /// <summary>Every non-empty label of every rater.</summary>
    public required IReadOnlyList<RaterLabel> Labels { get; init; }

    /// <summary>Items every rater labelled: the ones agreement is measured on and agreed labels come from.</summary>
    public int Scored { get; init; }

    /// <summary>Cohen's (two raters) or Fleiss' (three or more) κ over the scored items; null when undefined.</summary>
    public double? Kappa { get; init; }

    /// <summary><c>cohen</c> or <c>fleiss</c>.</summary>
    public required string KappaKind { get; init; }

    /// <summary>Share of scored items on which every rater gave the same label.</summary>
    public double RawAgreement { get; init; }

    /// <summary>The scored items with a majority label, in the first file's order.</summary>
    public required IReadOnlyList<AgreedLabel> Agreed { get; init; }

    /// <summary>Scored items whose top label was shared (left out of the training data).</summary>
    public int NoMajority { get; init; }
}

/// <summary>Reads raters' label files (<c>id,text,label</c> CSV, as <c>tandem labels sample</c> writes them).</summary>
public static class LabelImport
{
    /// <summary>Reads the files; throws <see cref="InvalidDataException"/> naming the file and row of a mistake.</summary>
    public static LabelImportResult Read(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count < 2)
        {
            throw new InvalidDataException("agreement needs the files of two raters or more");
        }

        var raters = paths.Select(p => Path.GetFileNameWithoutExtension(p)).ToList();
        if (raters.Distinct(StringComparer.Ordinal).Count() != raters.Count)
        {
            throw new InvalidDataException("each rater's file needs its own name (the rater is the file name): " + string.Join(", ", raters));
        }

        var files = paths.Select(ReadFile).ToList();
        var labels = new List<RaterLabel>();
        for (var r = 0; r < files.Count; r++)
        {
            labels.AddRange(files[r].Where(p => p.Value.Label.Length > 0).Select(p => new RaterLabel(p.Key, raters[r], p.Value.Label)));
        }

        // Items every rater labelled, in the first file's order.
        var scored = files[0].Keys.Where(id => files.All(f => f.TryGetValue(id, out var row) && row.Label.Length > 0)).ToList();
        var perItem = scored.Select(id => (IReadOnlyList<string>)files.Select(f => f[id].Label).ToList()).ToList();
        var kappa = files.Count == 2
            ? Agreement.Cohen([.. perItem.Select(l => (l[0], l[1]))])
            : Agreement.Fleiss(perItem);
        var agreed = new List<AgreedLabel>();
        var noMajority = 0;
        for (var i = 0; i < scored.Count; i++)
        {
            if (Agreement.Majority(perItem[i]) is { } label)
            {
                agreed.Add(new AgreedLabel(scored[i], files[0][scored[i]].Text, label));
            }
            else
            {
                noMajority++;
            }
        }

        return new LabelImportResult
        {
            Raters = raters,
            Labels = labels,
            Scored = scored.Count,
            Kappa = kappa,
            KappaKind = files.Count == 2 ? "cohen" : "fleiss",
            RawAgreement = scored.Count == 0 ? 0 : perItem.Count(l => l.All(x => x == l[0])) / (double)scored.Count,
            Agreed = agreed,
            NoMajority = noMajority,
        };
    }

    private static Dictionary<string, (string Text, string Label)> ReadFile(string path)
    {
        using var reader = new StreamReader(path);
        var rows = CsvReader.ReadRows(reader).ToList();
        if (rows.Count == 0)
        {
            throw new InvalidDataException($"{path}: empty; expected the header id,text,label");
        }

        var header = rows[0].Select(h => h.Trim().ToLowerInvariant()).ToList();
        int id = header.IndexOf("id"), text = header.IndexOf("text"), label = header.IndexOf("label");
        if (id < 0 || text < 0 || label < 0)
        {
            throw new InvalidDataException($"{path}: the header must name the columns id, text and label");
        }

        var items = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        for (var i = 1; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row.Length == 1 && row[0].Length == 0)
            {
                continue;
            }

            var line = (i + 1).ToString(CultureInfo.InvariantCulture);
            if (row.Length <= Math.Max(id, Math.Max(text, label)))
            {
                throw new InvalidDataException($"{path}: row {line} has {row.Length.ToString(CultureInfo.InvariantCulture)} fields, expected {header.Count.ToString(CultureInfo.InvariantCulture)}");
            }

            if (!items.TryAdd(row[id], (row[text], row[label].Trim())))
            {
                throw new InvalidDataException($"{path}: row {line}: item '{row[id]}' is labelled twice");
            }
        }

        return items;
    }
}
