using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Tandem.Privacy;
using Tandem.Quality;

namespace Tandem.Eval.Datasets;

/// <summary>What preparation removed, for the dataset card.</summary>
/// <param name="ExactDuplicates">Examples whose normalised prompt another (later) example has.</param>
/// <param name="NearDuplicates">Examples whose prompt is a near duplicate of a later example's.</param>
public sealed record DedupCounts(int ExactDuplicates, int NearDuplicates);

/// <summary>
/// Scrubbing, deduplication and the train/validation split. The split is a pure function of the conversation (its
/// system and first user turn, normalised), so every turn of one conversation, and every near-identical prompt the
/// deduplication kept, lands on one side only, whatever else is exported with it.
/// </summary>
public static class DatasetPreparation
{
    /// <summary>Every text of the examples masked with <paramref name="detector"/>.</summary>
    public static IReadOnlyList<DatasetExample> Scrub(IReadOnlyList<DatasetExample> examples, PersonalDataDetector detector)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(detector);
        return examples.Select(e => e with
        {
            Prompt = e.Prompt.Select(t => t with { Content = detector.Mask(t.Content) }).ToList(),
            Preferred = detector.Mask(e.Preferred),
            Rejected = e.Rejected is null ? null : detector.Mask(e.Rejected),
        }).ToList();
    }

    /// <summary>
    /// Drops exact duplicates (same normalised prompt) and near duplicates (word-bigram Jaccard similarity of at least
    /// <paramref name="nearThreshold"/>), keeping the latest example of each group: the latest correction is the
    /// current truth. The result is in time order.
    /// </summary>
    public static (IReadOnlyList<DatasetExample> Kept, DedupCounts Counts) Deduplicate(IReadOnlyList<DatasetExample> examples, double nearThreshold)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var latestFirst = examples.OrderByDescending(e => e.Time).ThenByDescending(e => e.RequestId, StringComparer.Ordinal).ToList();
        var exact = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<(DatasetExample Example, HashSet<string> Shingles)>();
        int exactDrops = 0, nearDrops = 0;
        foreach (var e in latestFirst)
        {
            var normal = Normalise(PromptText(e.Prompt));
            if (!exact.Add(normal))
            {
                exactDrops++;
                continue;
            }

            var shingles = Shingles(normal);
            if (kept.Any(k => Jaccard(k.Shingles, shingles) >= nearThreshold))
            {
                nearDrops++;
                continue;
            }

            kept.Add((e, shingles));
        }

        return (kept.Select(k => k.Example).OrderBy(e => e.Time).ThenBy(e => e.RequestId, StringComparer.Ordinal).ToList(), new DedupCounts(exactDrops, nearDrops));
    }

    /// <summary>Whether an example belongs to the training side: the conversation's hash, as a fraction of 2^64, below <paramref name="split"/>.</summary>
    public static bool IsTrain(DatasetExample example, double split)
    {
        ArgumentNullException.ThrowIfNull(example);
        return Fraction(ConversationKey(example.Prompt)) < split;
    }

    /// <summary>The conversation's identity: its system turns and its first user turn, normalised.</summary>
    public static string ConversationKey(IReadOnlyList<ChatTurn> prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var sb = new StringBuilder();
        foreach (var t in prompt)
        {
            if (t.Role == "system")
            {
                sb.Append("s:").Append(Normalise(t.Content)).Append('\n');
            }
            else if (t.Role == "user")
            {
                sb.Append("u:").Append(Normalise(t.Content));
                break;
            }
        }

        return sb.ToString();
    }

    /// <summary>The first 8 bytes of the key's SHA-256, as a fraction in [0, 1).</summary>
    internal static double Fraction(string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) / (double)(1UL << 53);
    }

    /// <summary>The prompt as one text: each turn's role and content.</summary>
    internal static string PromptText(IReadOnlyList<ChatTurn> prompt) => string.Join("\n", prompt.Select(t => t.Role + ": " + t.Content));

    /// <summary>Lower case, letters and digits only, single spaces.</summary>
    internal static string Normalise(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c))
            {
                if (space && sb.Length > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(c);
                space = false;
            }
            else
            {
                space = true;
            }
        }

        return sb.ToString();
    }

    /// <summary>Word bigrams (single words for a one-word text).</summary>
    internal static HashSet<string> Shingles(string normalised)
    {
        var words = normalised.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (words.Length == 1)
        {
            set.Add(words[0]);
        }

        for (var i = 0; i + 1 < words.Length; i++)
        {
            set.Add(words[i] + " " + words[i + 1]);
        }

        return set;
    }

    internal static double Jaccard(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count == 0 && b.Count == 0)
        {
            return 1;
        }

        var (small, large) = a.Count <= b.Count ? (a, b) : (b, a);
        var common = small.Count(large.Contains);
        return common / (double)(a.Count + b.Count - common);
    }
}
