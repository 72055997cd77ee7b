namespace Tandem.Privacy;

/// <summary>
/// A set of one detector's kinds, held as bits so that a routing rule's check allocates nothing. Made by
/// <see cref="PersonalDataDetector.KindsOf"/> and returned by <see cref="PersonalDataDetector.Detect"/>.
/// </summary>
public readonly struct PersonalDataKindSet : IEquatable<PersonalDataKindSet>
{
    private readonly PersonalDataDetector? _detector;

    internal PersonalDataKindSet(PersonalDataDetector detector, ulong bits)
    {
        _detector = detector;
        Bits = bits;
    }

    /// <summary>Whether the set is empty.</summary>
    public bool IsEmpty => Bits == 0;

    internal ulong Bits { get; }

    /// <summary>Whether the set holds <paramref name="kind"/>.</summary>
    public bool Contains(PersonalDataKind kind)
    {
        var index = _detector?.IndexOf(kind.Name) ?? -1;
        return index >= 0 && (Bits & (1UL << index)) != 0;
    }

    /// <summary>The kinds in the set, in the detector's order.</summary>
    public IReadOnlyList<PersonalDataKind> ToList()
    {
        var list = new List<PersonalDataKind>();
        if (_detector is not null)
        {
            for (var i = 0; i < _detector.Kinds.Count; i++)
            {
                if ((Bits & (1UL << i)) != 0)
                {
                    list.Add(_detector.Kinds[i]);
                }
            }
        }

        return list;
    }

    /// <summary>Compares two sets of the same detector.</summary>
    public static bool operator ==(PersonalDataKindSet left, PersonalDataKindSet right) => left.Equals(right);

    /// <summary>Compares two sets of the same detector.</summary>
    public static bool operator !=(PersonalDataKindSet left, PersonalDataKindSet right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(PersonalDataKindSet other) => Bits == other.Bits && ReferenceEquals(_detector, other._detector);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PersonalDataKindSet other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Bits.GetHashCode();

    /// <summary>The names, comma-separated, e.g. <c>email, card</c>.</summary>
    public override string ToString() => string.Join(", ", ToList());
}
