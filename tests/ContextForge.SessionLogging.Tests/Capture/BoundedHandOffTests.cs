using ContextForge.SessionLogging.Capture;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>The capture pipeline's queue: order kept, the producer held at the bound, the consumer ended by completion.</summary>
public sealed class BoundedHandOffTests
{
    [Fact]
    public void Items_arrive_in_order_and_the_producer_never_runs_more_than_the_capacity_ahead()
    {
        var queue = new BoundedHandOff<int>(4);
        int added = 0, maxAhead = 0;
        var taken = new List<int>();
        var consumer = new Thread(() =>
        {
            while (queue.TryTake(out int item))
            {
                taken.Add(item);
                maxAhead = Math.Max(maxAhead, Volatile.Read(ref added) - taken.Count);
                if (item % 1000 == 0) Thread.Sleep(1); // a slow consumer now and then: the producer must wait
            }
        });
        consumer.Start();
        for (int i = 0; i < 20_000; i++)
        {
            queue.Add(i);
            Volatile.Write(ref added, i + 1);
        }
        queue.CompleteAdding();
        Assert.True(consumer.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(Enumerable.Range(0, 20_000), taken);
        Assert.InRange(maxAhead, 0, queue.Capacity + 1); // +1: the item between Add returning and the count being read
        Assert.True(queue.IsAddingCompleted);
        Assert.False(queue.TryTake(out _));
    }

    [Fact]
    public void A_waiting_consumer_is_released_by_completion_and_adding_after_it_fails()
    {
        var queue = new BoundedHandOff<string>(2);
        bool? result = null;
        var consumer = new Thread(() => result = queue.TryTake(out _));
        consumer.Start();
        Thread.Sleep(50);
        queue.CompleteAdding();
        Assert.True(consumer.Join(TimeSpan.FromSeconds(10)));
        Assert.False(result);
        Assert.Equal("The hand-off is complete: nothing more can be added.", Assert.Throws<InvalidOperationException>(() => queue.Add("x")).Message);
    }
}
