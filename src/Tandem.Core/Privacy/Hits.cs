using System.Buffers;

namespace Tandem.Privacy;

/// <summary>One match: where it is and which of the detector's kinds it belongs to.</summary>
internal readonly record struct Hit(int Start, int Length, int Kind)
{
    public int End => Start + Length;
}

/// <summary>
/// The matches of one scan, on the caller's stack until they outgrow it, then in a pooled array. Recognizers add to
/// it; <see cref="Add"/> answers whether the scan should stop (a detection that needs only the first match).
/// </summary>
internal ref struct Hits
{
    private Span<Hit> _items;
    private Hit[]? _rented;

    public Hits(Span<Hit> initial)
    {
        _items = initial;
    }

    public int Count { get; private set; }

    /// <summary>Whether <see cref="Add"/> should ask the recognizer to stop.</summary>
    public bool StopAtFirst { get; set; }

    public readonly Hit this[int index] => _items[index];

    public readonly ReadOnlySpan<Hit> Items => _items[..Count];

    public bool Add(int start, int length, int kind)
    {
        if (Count == _items.Length)
        {
            var larger = ArrayPool<Hit>.Shared.Rent(Math.Max(16, _items.Length * 2));
            _items.CopyTo(larger);
            if (_rented is not null)
            {
                ArrayPool<Hit>.Shared.Return(_rented);
            }

            _rented = larger;
            _items = larger;
        }

        _items[Count++] = new Hit(start, length, kind);
        return StopAtFirst;
    }

    /// <summary>Forgets the matches from <paramref name="count"/> on.</summary>
    public void Truncate(int count) => Count = count;

    /// <summary>Orders the matches by position (they never overlap).</summary>
    public readonly void Sort() => _items[..Count].Sort(static (a, b) => a.Start.CompareTo(b.Start));

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<Hit>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
