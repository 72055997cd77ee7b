namespace Tandem.Wire;

/// <summary>What to do with one server-sent event of an upstream stream.</summary>
public enum SseDisposition
{
    /// <summary>Relay it to the client.</summary>
    Forward,

    /// <summary>The usage-only chunk Tandem asked for; the client did not, so it is not relayed.</summary>
    UsageOnly,

    /// <summary>The <c>data: [DONE]</c> sentinel.</summary>
    Done,
}

/// <summary>Framing and light inspection of OpenAI-style server-sent events, without copying them.</summary>
public static class SseEvents
{
    /// <summary>
    /// Finds the end of the first complete event in <paramref name="buffer"/> (the index just past its blank line),
    /// or -1 when no complete event is buffered yet. Accepts LF and CRLF line ends.
    /// </summary>
    public static int FindEventEnd(ReadOnlySpan<byte> buffer)
    {
        var offset = 0;
        while (true)
        {
            var i = buffer[offset..].IndexOf((byte)'\n');
            if (i < 0)
            {
                return -1;
            }

            var nl = offset + i;
            // "\n\n" or "\n\r\n" ends the event.
            if (nl + 1 < buffer.Length && buffer[nl + 1] == (byte)'\n')
            {
                return nl + 2;
            }

            if (nl + 2 < buffer.Length && buffer[nl + 1] == (byte)'\r' && buffer[nl + 2] == (byte)'\n')
            {
                return nl + 3;
            }

            if (nl + 1 >= buffer.Length)
            {
                return -1;
            }

            offset = nl + 1;
        }
    }

    /// <summary>Returns the payload of the event's single <c>data:</c> line, or empty when it has none.</summary>
    public static ReadOnlySpan<byte> DataOf(ReadOnlySpan<byte> sseEvent)
    {
        var rest = sseEvent;
        while (!rest.IsEmpty)
        {
            var nl = rest.IndexOf((byte)'\n');
            var line = nl < 0 ? rest : rest[..nl];
            rest = nl < 0 ? default : rest[(nl + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.StartsWith("data:"u8))
            {
                line = line[5..];
                if (!line.IsEmpty && line[0] == (byte)' ')
                {
                    line = line[1..];
                }

                return line;
            }
        }

        return default;
    }

    /// <summary>
    /// Classifies one event and records what it says in <paramref name="facts"/>. Only chunks that can carry
    /// information (the first, usage, finish reason, errors, or all of them when content is captured) are parsed.
    /// </summary>
    public static SseDisposition Inspect(ReadOnlySpan<byte> sseEvent, ResponseFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var data = DataOf(sseEvent);
        if (data.IsEmpty)
        {
            return SseDisposition.Forward;
        }

        if (data.SequenceEqual("[DONE]"u8))
        {
            facts.SawDone = true;
            return SseDisposition.Done;
        }

        facts.Chunks++;
        var worthParsing = facts.Chunks == 1
            || facts.Content is not null
            || HasNonNullProperty(data, "\"usage\""u8)
            || HasNonNullProperty(data, "\"finish_reason\""u8)
            || HasNonNullProperty(data, "\"error\""u8);
        if (worthParsing && facts.Read(data))
        {
            return SseDisposition.UsageOnly;
        }

        return SseDisposition.Forward;
    }

    /// <summary>Whether <paramref name="json"/> contains the quoted property name followed by a value other than null.</summary>
    internal static bool HasNonNullProperty(ReadOnlySpan<byte> json, ReadOnlySpan<byte> quotedName)
    {
        var rest = json;
        while (true)
        {
            var i = rest.IndexOf(quotedName);
            if (i < 0)
            {
                return false;
            }

            rest = rest[(i + quotedName.Length)..];
            var j = 0;
            while (j < rest.Length && rest[j] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                j++;
            }

            if (j < rest.Length && rest[j] == (byte)':')
            {
                j++;
                while (j < rest.Length && rest[j] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                {
                    j++;
                }

                if (j < rest.Length && rest[j] != (byte)'n')
                {
                    return true;
                }
            }
        }
    }
}
