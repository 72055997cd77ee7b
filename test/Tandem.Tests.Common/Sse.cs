namespace Tandem.Tests.Common;

/// <summary>Reading server-sent events the way a plain HTTP client sees them, byte for byte.</summary>
public static class Sse
{
    private const string DataPrefix = "data: ";

    /// <summary>The payload of a <c>data: </c> line, or null for any other line.</summary>
    public static string? Data(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line.StartsWith(DataPrefix, StringComparison.Ordinal) ? line[DataPrefix.Length..] : null;
    }

    /// <summary>
    /// Splits a complete <c>\n\n</c>-framed body into its events, each without its <c>data: </c> prefix
    /// (an event without one is returned whole).
    /// </summary>
    public static List<string> Events(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => Data(e) ?? e)];
    }

    /// <summary>
    /// Reads a streamed response to its end, keeping the non-empty lines. <c>Truncated</c> is true when the transfer
    /// was cut (the gateway aborts a stream that failed midway, so that no client takes it for complete).
    /// </summary>
    public static async Task<(List<string> Lines, bool Truncated)> ReadLinesAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var lines = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        try
        {
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0)
                {
                    lines.Add(line);
                }
            }
        }
        catch (IOException)
        {
            return (lines, true);
        }

        return (lines, false);
    }
}
