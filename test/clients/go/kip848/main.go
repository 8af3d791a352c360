// A franz-go (v1.22.3) consumer group on the KIP-848 consumer protocol against a broker, for
// test/groups/consumer-protocol-franz.test.ts: two kgo clients with ServerSideBalancer() share
// a topic's partitions and read every record; ConsumerGroupDescribe (which answers only for
// consumer-protocol groups) must show both members with assignments, proving that kgo took
// its KIP-848 path (it falls back to JoinGroup/SyncGroup when the broker does not advertise
// ConsumerGroupHeartbeat v1). Prints one JSON summary line; exits 1 on a failed check.
//
//	go run . <seeds> <topic> <group> <records>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 5 {
		fail("usage: kip848 <seeds> <topic> <group> <records>")
	}
	seeds := strings.Split(os.Args[1], ",")
	topic, group := os.Args[2], os.Args[3]
	records, _ := strconv.Atoi(os.Args[4])
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	admin, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		fail("admin client: %v", err)
	}
	defer admin.Close()
	adm := kadm.NewClient(admin)
	if _, err := adm.CreateTopic(ctx, 6, 1, nil, topic); err != nil {
		fail("create topic: %v", err)
	}
	for i := 0; i < records; i++ {
		admin.Produce(ctx, &kgo.Record{Topic: topic, Value: []byte("v" + strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				fail("produce: %v", err)
			}
		})
	}
	if err := admin.Flush(ctx); err != nil {
		fail("flush: %v", err)
	}

	var mu sync.Mutex
	seen := map[string]int{}
	total := 0
	consumers := make([]*kgo.Client, 2)
	for i := range consumers {
		cl, err := kgo.NewClient(
			kgo.SeedBrokers(seeds...),
			kgo.ClientID("franz-848-"+strconv.Itoa(i)),
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(topic),
			kgo.ServerSideBalancer(),
			kgo.Balancers(kgo.StickyBalancer()),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		)
		if err != nil {
			fail("consumer: %v", err)
		}
		consumers[i] = cl
		go func(cl *kgo.Client) {
			for ctx.Err() == nil {
				fetches := cl.PollFetches(ctx)
				fetches.EachRecord(func(r *kgo.Record) {
					mu.Lock()
					seen[string(r.Value)]++
					total++
					mu.Unlock()
				})
			}
		}(cl)
	}
	defer func() {
		for _, cl := range consumers {
			cl.Close()
		}
	}()

	// Both members in the group with partitions, as ConsumerGroupDescribe reports it.
	var described *kmsg.ConsumerGroupDescribeResponseGroup
	for ctx.Err() == nil {
		req := kmsg.NewPtrConsumerGroupDescribeRequest()
		req.Groups = []string{group}
		resp, err := req.RequestWith(ctx, admin)
		if err == nil && len(resp.Groups) == 1 {
			g := resp.Groups[0]
			if err := kerr.ErrorForCode(g.ErrorCode); err != nil && err != kerr.GroupIDNotFound {
				fail("ConsumerGroupDescribe: %v", err)
			}
			withPartitions := 0
			for _, m := range g.Members {
				if len(m.Assignment.TopicPartitions) > 0 {
					withPartitions++
				}
			}
			mu.Lock()
			done := total >= records
			mu.Unlock()
			if g.ErrorCode == 0 && len(g.Members) == 2 && withPartitions == 2 && done {
				described = &g
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if described == nil {
		mu.Lock()
		defer mu.Unlock()
		fail("timed out: %d of %d records read, or the group never showed two consumer-protocol members with partitions", total, records)
	}
	mu.Lock()
	missing := 0
	duplicates := 0
	for i := 0; i < records; i++ {
		n := seen["v"+strconv.Itoa(i)]
		if n == 0 {
			missing++
		} else if n > 1 {
			duplicates += n - 1
		}
	}
	mu.Unlock()
	clients := []string{}
	for _, m := range described.Members {
		clients = append(clients, m.ClientID)
	}
	out, _ := json.Marshal(map[string]any{
		"records":    records,
		"missing":    missing,
		"duplicates": duplicates,
		"groupState": described.State,
		"groupEpoch": described.Epoch,
		"assignor":   described.AssignorName,
		"members":    clients,
	})
	fmt.Println(string(out))
	if missing > 0 {
		os.Exit(1)
	}
}
