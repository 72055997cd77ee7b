using System.Text;

namespace Tandem.Eval.Suites;

/// <summary>
/// An RFC 4180 CSV reader: comma-separated fields, double-quoted fields that may contain commas, doubled quotes and
/// line breaks, CRLF or LF row ends. Small on purpose: datasets such as BANKING77 need exactly this and no more.
/// </summary>
internal static class CsvReader
{
    /// <summary>Reads every row of <paramref name="reader"/>; blank lines are skipped.</summary>
    public static IEnumerable<string[]> ReadRows(TextReader reader)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var atFieldStart = true;
        var rowStarted = false;
        var row = 1;
        int c;
        while ((c = reader.Read()) != -1)
        {
            var ch = (char)c;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    field.Append(ch);
                }

                continue;
            }

            switch (ch)
            {
                case '"' when atFieldStart:
                    inQuotes = true;
                    atFieldStart = false;
                    rowStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    atFieldStart = true;
                    rowStarted = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    if (rowStarted)
                    {
                        fields.Add(field.ToString());
                        yield return [.. fields];
                    }

                    fields.Clear();
                    field.Clear();
                    atFieldStart = true;
                    rowStarted = false;
                    row++;
                    break;
                default:
                    field.Append(ch);
                    atFieldStart = false;
                    rowStarted = true;
                    break;
            }
        }

        if (inQuotes)
        {
            throw new FormatException($"CSV row {row}: a quoted field is not closed");
        }

        if (rowStarted)
        {
            fields.Add(field.ToString());
            yield return [.. fields];
        }
    }
}
