namespace Tandem.Classification;

/// <summary>Receives the hashed features of a text, one call per occurrence.</summary>
internal interface IIntentFeatureSink
{
    /// <summary>One feature occurrence.</summary>
    void Add(uint hash);
}

/// <summary>
/// The features of the intent classifier, read in one pass without allocating: lower-cased word unigrams and bigrams
/// (words are runs of letters and digits) and the character n-grams of each word padded with a space on both sides
/// (<c>" card "</c> gives <c>" ca"</c>, <c>"car"</c>, … <c>"rd "</c>), for n from <see cref="MinChars"/> to
/// <see cref="MaxChars"/>. FNV-1a, 32 bits, with a seed per kind and per n: stable across processes and machines,
/// which the model file depends on.
/// </summary>
/// <remarks>
/// The complexity router's <c>HashedNgrams</c> reads character trigrams across word boundaries only; a classifier of
/// short queries gains from longer in-word n-grams (word stems and inflections: <c>"transfer"</c>,
/// <c>"transferred"</c>), which is why this reader is its own.
/// </remarks>
internal static class IntentFeatures
{
    /// <summary>Shortest character n-gram.</summary>
    public const int MinChars = 2;

    /// <summary>Longest character n-gram.</summary>
    public const int MaxChars = 5;

    private const uint Prime = 16777619;
    private const uint WordSeed = 2166136261;
    private const uint BigramSeed = 0x9E3779B9;
    private const uint CharSeed = 0x85EBCA6B;
    private const int MaxWord = 48;

    /// <summary>Feeds every feature of <paramref name="text"/> to <paramref name="sink"/>; returns how many there were.</summary>
    public static int Read<TSink>(ReadOnlySpan<char> text, ref TSink sink)
        where TSink : struct, IIntentFeatureSink
    {
        Span<char> padded = stackalloc char[MaxWord + 2];
        var count = 0;
        var length = 0;
        var word = WordSeed;
        var previous = 0u;
        var hasPrevious = false;
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? char.ToLowerInvariant(text[i]) : ' ';
            if (char.IsLetterOrDigit(c))
            {
                word = (word ^ c) * Prime;
                if (length < MaxWord)
                {
                    padded[++length] = c;
                }

                continue;
            }

            if (length == 0)
            {
                continue;
            }

            sink.Add(word);
            count++;
            if (hasPrevious)
            {
                sink.Add((((BigramSeed ^ previous) * Prime) ^ word) * Prime);
                count++;
            }

            padded[0] = ' ';
            padded[length + 1] = ' ';
            count += CharGrams(padded[..(length + 2)], ref sink);
            previous = word;
            hasPrevious = true;
            word = WordSeed;
            length = 0;
        }

        return count;
    }

    private static int CharGrams<TSink>(ReadOnlySpan<char> padded, ref TSink sink)
        where TSink : struct, IIntentFeatureSink
    {
        var count = 0;
        for (var n = MinChars; n <= MaxChars && n <= padded.Length; n++)
        {
            var seed = (CharSeed ^ (uint)n) * Prime;
            for (var start = 0; start + n <= padded.Length; start++)
            {
                // A whole padded word is its unigram already.
                if (n == padded.Length)
                {
                    break;
                }

                var h = seed;
                foreach (var ch in padded.Slice(start, n))
                {
                    h = (h ^ ch) * Prime;
                }

                sink.Add(h);
                count++;
            }
        }

        return count;
    }
}
