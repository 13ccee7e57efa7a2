using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// Structure-aware mutations of a valid protobuf message: one field changed by its type (bytes and strings mutated,
/// integers at their boundaries, repeated fields emptied or blown up, another oneof case), or the encoding itself
/// broken (lengths that lie, wrong wire types, unknown fields, nesting past the parser's limit, byte mutations).
/// </summary>
internal static class ProtoMutator
{
    private static readonly ulong[] IntegerEdges = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, int.MaxValue, (ulong)int.MaxValue + 1, uint.MaxValue, long.MaxValue, ulong.MaxValue];

    /// <summary>A mutated encoding of <paramref name="template"/> (left unchanged) and the mutation's name.</summary>
    public static (byte[] Bytes, string Name) Mutate(FuzzRandom random, IMessage template, int maxRepeat = 2000)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(template);
        switch (random.Next(10))
        {
            case < 5:
                {
                    var copy = template.Descriptor.Parser.ParseFrom(template.ToByteArray());
                    var name = MutateField(random, copy, maxRepeat, depth: 0);
                    return (copy.ToByteArray(), name);
                }

            case 5:
                {
                    var (bytes, name) = ByteMutator.Mutate(random, template.ToByteArray());
                    return (bytes, "wire-" + name);
                }

            case 6:
                return ([.. template.ToByteArray(), .. UnknownFields(random)], "unknown-fields");
            case 7:
                return (LyingLength(random, template), "lying-length");
            case 8:
                return (WrongWireType(random, template), "wrong-wire-type");
            default:
                return (DeepNesting(random), "deep-nesting");
        }
    }

    /// <summary>Changes one field of <paramref name="message"/> in place; returns what it did.</summary>
    public static string MutateField(FuzzRandom random, IMessage message, int maxRepeat, int depth)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(message);
        var fields = message.Descriptor.Fields.InDeclarationOrder();
        if (fields.Count == 0)
        {
            return "no-fields";
        }

        var field = fields[random.Next(fields.Count)];
        var accessor = field.Accessor;
        if (field.IsRepeated)
        {
            var list = (IList)accessor.GetValue(message);
            switch (random.Next(4))
            {
                case 0:
                    list.Clear();
                    return $"{field.Name}:cleared";
                case 1 when list.Count > 0:
                    {
                        // A huge repeated field: the first element many times over.
                        var first = list[0];
                        var n = random.Chance(0.5) ? random.Between(2, 50) : random.Between(maxRepeat / 2, maxRepeat);
                        for (var i = 0; i < n; i++)
                        {
                            list.Add(first);
                        }

                        return $"{field.Name}:repeated×{n}";
                    }

                case 2 when list.Count > 0 && field.FieldType == FieldType.Bytes:
                    {
                        var i = random.Next(list.Count);
                        var (bytes, name) = ByteMutator.Mutate(random, ((ByteString)list[i]!).Span);
                        list[i] = ByteString.CopyFrom(bytes);
                        return $"{field.Name}[{i}]:{name}";
                    }

                default:
                    list.Add(DefaultElement(random, field));
                    return $"{field.Name}:element-added";
            }
        }

        if (field.ContainingOneof is { } oneof && random.Chance(0.3))
        {
            // Another case of the oneof, left at its default.
            var other = oneof.Fields[random.Next(oneof.Fields.Count)];
            if (other.FieldType == FieldType.Message)
            {
                accessor = other.Accessor;
                accessor.SetValue(message, other.MessageType.Parser.ParseFrom([]));
                return $"{oneof.Name}:{other.Name}";
            }
        }

        switch (field.FieldType)
        {
            case FieldType.Bytes:
                {
                    var (bytes, name) = ByteMutator.Mutate(random, ((ByteString)accessor.GetValue(message)).Span);
                    accessor.SetValue(message, ByteString.CopyFrom(bytes));
                    return $"{field.Name}:{name}";
                }

            case FieldType.String:
                {
                    var (text, name) = ByteMutator.MutateText(random, (string)accessor.GetValue(message));
                    accessor.SetValue(message, text);
                    return $"{field.Name}:{name}";
                }

            case FieldType.Bool:
                accessor.SetValue(message, !(bool)accessor.GetValue(message));
                return $"{field.Name}:flipped";
            case FieldType.Enum:
                accessor.SetValue(message, random.Chance(0.5) ? random.Between(-5, 100) : int.MaxValue);
                return $"{field.Name}:enum-out-of-range";
            case FieldType.Message:
                {
                    var value = accessor.GetValue(message) as IMessage;
                    if (value is null || depth > 3 || random.Chance(0.3))
                    {
                        accessor.Clear(message);
                        return $"{field.Name}:cleared";
                    }

                    return $"{field.Name}.{MutateField(random, value, maxRepeat, depth + 1)}";
                }

            default:
                {
                    var edge = random.Pick(IntegerEdges);
                    accessor.SetValue(message, Convert(field.FieldType, edge));
                    return $"{field.Name}:={edge}";
                }
        }
    }

    private static object DefaultElement(FuzzRandom random, FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Bytes => ByteString.CopyFrom(random.Bytes(random.Length(32, 1024))),
        FieldType.String => random.Chance(0.5) ? string.Empty : "x",
        FieldType.Message => field.MessageType.Parser.ParseFrom([]),
        FieldType.Enum => random.Between(-1, 20),
        FieldType.Bool => true,
        _ => Convert(field.FieldType, random.Pick(IntegerEdges)),
    };

    // Each arm boxed as itself (a switch of numbers would otherwise widen them all to double).
    private static object Convert(FieldType type, ulong value) => type switch
    {
        FieldType.UInt64 or FieldType.Fixed64 => (object)value,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (object)unchecked((long)value),
        FieldType.UInt32 or FieldType.Fixed32 => (object)unchecked((uint)value),
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => (object)unchecked((int)value),
        FieldType.Double => (object)(double)value,
        FieldType.Float => (object)(float)value,
        _ => (object)unchecked((int)value),
    };

    /// <summary>Well-formed fields of numbers the message does not define (parsers must skip them).</summary>
    private static byte[] UnknownFields(FuzzRandom random)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        for (var i = random.Between(1, 6); i > 0; i--)
        {
            var number = random.Between(20, 5000);
            switch (random.Next(3))
            {
                case 0:
                    output.WriteTag(number, WireFormat.WireType.Varint);
                    output.WriteUInt64(random.NextUInt64());
                    break;
                case 1:
                    output.WriteTag(number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(random.Bytes(random.Length(16, 8192))));
                    break;
                default:
                    output.WriteTag(number, WireFormat.WireType.Fixed64);
                    output.WriteFixed64(random.NextUInt64());
                    break;
            }
        }

        output.Flush();
        return stream.ToArray();
    }

    /// <summary>A length-delimited field (first one of the message, or number 1) whose length says more than follows.</summary>
    private static byte[] LyingLength(FuzzRandom random, IMessage template)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        var number = template.Descriptor.Fields.InFieldNumberOrder().FirstOrDefault(f => f.FieldType is FieldType.Bytes or FieldType.String or FieldType.Message)?.FieldNumber ?? 1;
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        var payload = random.Bytes(random.Between(0, 40));
        output.WriteUInt32(random.Chance(0.5) ? (uint)payload.Length + (uint)random.Between(1, 1000) : uint.MaxValue);
        output.Flush();
        return [.. template.ToByteArray(), .. stream.ToArray(), .. payload];
    }

    /// <summary>A known field number encoded with another wire type than its own.</summary>
    private static byte[] WrongWireType(FuzzRandom random, IMessage template)
    {
        var fields = template.Descriptor.Fields.InFieldNumberOrder();
        var number = fields.Count == 0 ? 1 : fields[random.Next(fields.Count)].FieldNumber;
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        switch (random.Next(4))
        {
            case 0:
                output.WriteTag(number, WireFormat.WireType.Varint);
                output.WriteUInt64(random.NextUInt64());
                break;
            case 1:
                output.WriteTag(number, WireFormat.WireType.Fixed32);
                output.WriteFixed32((uint)random.NextUInt64());
                break;
            case 2:
                output.WriteTag(number, WireFormat.WireType.StartGroup);
                output.WriteTag(number, WireFormat.WireType.EndGroup);
                break;
            default:
                output.WriteTag(number, WireFormat.WireType.EndGroup);
                break;
        }

        output.Flush();
        return [.. stream.ToArray(), .. template.ToByteArray()];
    }

    /// <summary>Groups or messages nested far deeper than any parser's recursion limit.</summary>
    private static byte[] DeepNesting(FuzzRandom random)
    {
        var depth = random.Between(90, 2000);
        var bytes = new List<byte>(depth * 2);
        if (random.Chance(0.5))
        {
            // Unknown field 15, start group, over and over.
            for (var i = 0; i < depth; i++)
            {
                bytes.Add((15 << 3) | 3);
            }
        }
        else
        {
            // Field 1 as length-delimited inside itself (lengths consistent), the innermost empty.
            var inner = Array.Empty<byte>();
            for (var i = 0; i < Math.Min(depth, 200); i++)
            {
                using var stream = new MemoryStream();
                var output = new CodedOutputStream(stream);
                output.WriteTag(1, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFrom(inner));
                output.Flush();
                inner = stream.ToArray();
            }

            return inner;
        }

        return [.. bytes];
    }
}
