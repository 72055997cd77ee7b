namespace Tandem.Storage;

/// <summary>The CLR type a <see cref="RowValue"/> was made from: a dialect may need it (PostgreSQL's binary COPY does).</summary>
internal enum RowValueKind : byte
{
    Null,
    Int16,
    Int32,
    Int64,
    Double,
    Text,
}

/// <summary>
/// One column value of a row to insert, without boxing: the SQLite writer binds it straight into a prepared
/// statement; other paths take <see cref="ToObject"/>, which gives back the value as the type it was made from.
/// </summary>
internal readonly struct RowValue : IEquatable<RowValue>
{
    private readonly long _integer;
    private readonly double _real;

    private RowValue(RowValueKind kind, long integer, double real, string? text)
    {
        Kind = kind;
        _integer = integer;
        _real = real;
        Text = text;
    }

    /// <summary>SQL NULL.</summary>
    public static RowValue Null => default;

    public RowValueKind Kind { get; }

    /// <summary>The value of an integer kind.</summary>
    public long Integer => _integer;

    /// <summary>The value of <see cref="RowValueKind.Double"/>.</summary>
    public double Real => _real;

    /// <summary>The value of <see cref="RowValueKind.Text"/>.</summary>
    public string? Text { get; }

    public static implicit operator RowValue(short value) => new(RowValueKind.Int16, value, 0, null);

    public static implicit operator RowValue(int value) => new(RowValueKind.Int32, value, 0, null);

    public static implicit operator RowValue(long value) => new(RowValueKind.Int64, value, 0, null);

    public static implicit operator RowValue(double value) => new(RowValueKind.Double, 0, value, null);

    public static implicit operator RowValue(string? value) => value is null ? Null : new(RowValueKind.Text, 0, 0, value);

    /// <summary>The value boxed as the type it was made from; <see langword="null"/> for SQL NULL.</summary>
    public object? ToObject() => Kind switch
    {
        RowValueKind.Int16 => (short)_integer,
        RowValueKind.Int32 => (int)_integer,
        RowValueKind.Int64 => _integer,
        RowValueKind.Double => _real,
        RowValueKind.Text => Text,
        _ => null,
    };

    public bool Equals(RowValue other) => Kind == other.Kind && _integer == other._integer && _real.Equals(other._real) && string.Equals(Text, other.Text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is RowValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, _integer, _real, Text);

    public override string ToString() => ToObject()?.ToString() ?? "NULL";

    public static bool operator ==(RowValue left, RowValue right) => left.Equals(right);

    public static bool operator !=(RowValue left, RowValue right) => !left.Equals(right);
}
