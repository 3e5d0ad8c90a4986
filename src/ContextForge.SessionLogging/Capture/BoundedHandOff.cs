namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// A bounded first-in, first-out hand-off from one producer thread to one consumer thread: <see cref="Add"/> blocks
/// while <see cref="Capacity"/> items wait, <see cref="TryTake"/> blocks while none does, both by
/// <see cref="Monitor.Wait(object)"/>, never by spinning. (<c>BlockingCollection</c>'s semaphores spin and yield before
/// they block: with a slow producer, such as a pty giving 4 KiB at a time, the capture's workers spent more CPU waiting
/// than working.) A waiting thread is woken only when the queue leaves the state it waits on (empty, or full).
/// </summary>
internal sealed class BoundedHandOff<T>
{
    private readonly T[] _items;
    private readonly object _gate = new();
    private int _head;
    private int _count;
    private bool _completed;

    public BoundedHandOff(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    /// <summary>The most items waiting at once.</summary>
    public int Capacity => _items.Length;

    /// <summary>Queues <paramref name="item"/>, waiting while the queue is full.</summary>
    public void Add(T item)
    {
        lock (_gate)
        {
            while (_count == _items.Length && !_completed) Monitor.Wait(_gate);
            if (_completed) throw new InvalidOperationException("The hand-off is complete: nothing more can be added.");
            _items[(_head + _count) % _items.Length] = item;
            _count++;
            if (_count == 1) Monitor.PulseAll(_gate); // the consumer may be waiting for an item
        }
    }

    /// <summary>The next item, waiting for one; false once the queue is empty and <see cref="CompleteAdding"/> was called.</summary>
    public bool TryTake(out T item)
    {
        lock (_gate)
        {
            while (_count == 0)
            {
                if (_completed)
                {
                    item = default!;
                    return false;
                }
                Monitor.Wait(_gate);
            }
            item = _items[_head];
            _items[_head] = default!;
            _head = (_head + 1) % _items.Length;
            _count--;
            if (_count == _items.Length - 1) Monitor.PulseAll(_gate); // the producer may be waiting for room
            return true;
        }
    }

    /// <summary>No more items will be added: the consumer takes what is queued, then <see cref="TryTake"/> returns false.</summary>
    public void CompleteAdding()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Whether <see cref="CompleteAdding"/> was called.</summary>
    public bool IsAddingCompleted
    {
        get
        {
            lock (_gate) return _completed;
        }
    }
}
