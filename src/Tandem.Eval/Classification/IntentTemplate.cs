namespace Tandem.Eval.Classification;

/// <summary>
/// Finds the prompt template a route wraps every message in: the longest prefix and suffix all training texts share,
/// cut back to a white-space boundary so that no part of a word is taken. A route that sends
/// <c>"Classify … Message: {text}"</c> gives the prefix <c>"Classify … Message: "</c>; plain messages give none.
/// </summary>
public static class IntentTemplate
{
    /// <summary>The shared prefix and suffix of <paramref name="texts"/> (both empty for fewer than two texts).</summary>
    public static (string Prefix, string Suffix) Find(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count < 2)
        {
            return ("", "");
        }

        var shortest = texts.Min(t => t.Length);
        var prefix = 0;
        while (prefix < shortest && texts.All(t => t[prefix] == texts[0][prefix]))
        {
            prefix++;
        }

        // Back to just after the last white space of the shared run (a shared word start is not the template).
        while (prefix > 0 && !char.IsWhiteSpace(texts[0][prefix - 1]))
        {
            prefix--;
        }

        var suffix = 0;
        while (suffix < shortest - prefix && texts.All(t => t[t.Length - 1 - suffix] == texts[0][texts[0].Length - 1 - suffix]))
        {
            suffix++;
        }

        while (suffix > 0 && !char.IsWhiteSpace(texts[0][texts[0].Length - suffix]))
        {
            suffix--;
        }

        return (texts[0][..prefix], texts[0][^suffix..]);
    }
}
