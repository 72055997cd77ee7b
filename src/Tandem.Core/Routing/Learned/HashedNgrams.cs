namespace Tandem.Routing.Learned;

/// <summary>Receives the hashed features of a text, one call per occurrence.</summary>
internal interface IFeatureSink
{
    /// <summary>One feature occurrence; <paramref name="hash"/> is reduced to a weight index by the model.</summary>
    void Add(uint hash);
}

/// <summary>
/// Hashed word and character n-grams of a text, read in one pass without allocating: lower-cased word unigrams and
/// bigrams (words are runs of letters and digits) and character trigrams over the lower-cased text with runs of
/// white space read as one space. Each kind has its own seed so a word and a trigram that spell the same never share
/// a hash. FNV-1a, 32 bits: stable across processes and machines, which the model file depends on.
/// </summary>
internal static class HashedNgrams
{
    private const uint Prime = 16777619;
    private const uint WordSeed = 2166136261;
    private const uint BigramSeed = 0x9E3779B9;
    private const uint TrigramSeed = 0x85EBCA6B;

    /// <summary>Feeds every feature of <paramref name="text"/> to <paramref name="sink"/>; returns how many there were.</summary>
    public static int Read<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : struct, IFeatureSink
    {
        var count = 0;
        var word = WordSeed;
        var inWord = false;
        var previousWord = 0u;
        var hasPrevious = false;

        // The padded, space-collapsed stream starts with one space.
        var prev2 = ' ';
        var prev1 = ' ';
        var emitted = 1;
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? char.ToLowerInvariant(text[i]) : ' ';
            if (char.IsLetterOrDigit(c))
            {
                word = (word ^ c) * Prime;
                inWord = true;
            }
            else if (inWord)
            {
                sink.Add(word);
                count++;
                if (hasPrevious)
                {
                    sink.Add((((BigramSeed ^ previousWord) * Prime) ^ word) * Prime);
                    count++;
                }

                previousWord = word;
                hasPrevious = true;
                word = WordSeed;
                inWord = false;
            }

            var ch = char.IsWhiteSpace(c) ? ' ' : c;
            if (ch == ' ' && prev1 == ' ')
            {
                continue;
            }

            if (emitted >= 2)
            {
                sink.Add((((((TrigramSeed ^ prev2) * Prime) ^ prev1) * Prime) ^ ch) * Prime);
                count++;
            }

            prev2 = prev1;
            prev1 = ch;
            emitted++;
        }

        return count;
    }
}
