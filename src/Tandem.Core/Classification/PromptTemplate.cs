namespace Tandem.Classification;

/// <summary>
/// The fixed text a classification route wraps around the user's message (the instruction before it, anything after
/// it), which every model kind learns at training and strips again before it reads a query, so it sees exactly the
/// message text it was trained on.
/// </summary>
public static class PromptTemplate
{
    /// <summary>
    /// The message inside the template: <paramref name="text"/> without <paramref name="prefix"/> and
    /// <paramref name="suffix"/> when it carries both, else the text unchanged (a query sent without the template).
    /// </summary>
    public static ReadOnlySpan<char> Message(ReadOnlySpan<char> text, string prefix, string suffix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        if ((prefix.Length > 0 || suffix.Length > 0) && text.Length >= prefix.Length + suffix.Length
            && text.StartsWith(prefix, StringComparison.Ordinal) && text.EndsWith(suffix, StringComparison.Ordinal))
        {
            return text[prefix.Length..^suffix.Length];
        }

        return text;
    }

    /// <summary>The message inside the template, as a string (the same instance when there is nothing to strip).</summary>
    public static string Message(string text, string prefix, string suffix)
    {
        ArgumentNullException.ThrowIfNull(text);
        var message = Message(text.AsSpan(), prefix, suffix);
        return message.Length == text.Length ? text : message.ToString();
    }
}
