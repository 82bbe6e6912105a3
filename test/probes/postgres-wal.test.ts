// WAL segments waiting to be archived, from pg_stat_archiver's last archived file name and the
// write position (16 MiB and 1 GiB segments).
import t from 'tap';
import { segmentsWaiting } from '../../src/probes/postgres/client.ts';

const MiB16 = 16 * 1024 * 1024;
/** The byte position of an LSN written `hi/lo`, as pg_wal_lsn_diff(lsn, '0/0') returns it. */
const lsn = (hi: number, lo: number) => hi * 0x1_0000_0000 + lo;

t.test('segments between the last archived and the one being written', async (t) => {
  t.equal(segmentsWaiting('000000010000000000000003', lsn(0, 0x4000100), MiB16), 0, 'segment 4 is being written: nothing waits');
  t.equal(segmentsWaiting('000000010000000000000003', lsn(0, 0x4000000), MiB16), 0, 'at the start of segment 4, just after pg_switch_wal');
  t.equal(segmentsWaiting('000000010000000000000002', lsn(0, 0x4000000), MiB16), 1, 'segment 3 complete, not archived');
  t.equal(segmentsWaiting('000000010000000000000003', lsn(0, 0x7000028), MiB16), 3);
  t.equal(segmentsWaiting('0000000100000000000000FF', lsn(1, 0x28), MiB16), 0, 'across a log file boundary (256 segments of 16 MiB)');
  t.equal(segmentsWaiting('000000010000000000000002', lsn(1, 0x40000028), 1024 ** 3), 2, '4 segments of 1 GiB per log file');
  t.equal(segmentsWaiting('000000010000000000000002.00000028.backup', lsn(0, 0x4000028), MiB16), 1, 'a backup history file names its segment');
  t.equal(segmentsWaiting('000000010000000000000005', lsn(0, 0x4000000), MiB16), 0, 'never negative');
});

t.test('unknown when the names do not tell', async (t) => {
  t.equal(segmentsWaiting(null, lsn(0, 0x4000000), MiB16), null, 'nothing archived yet');
  t.equal(segmentsWaiting('00000002.history', lsn(0, 0x4000000), MiB16), null, 'a timeline history file');
  t.equal(segmentsWaiting('000000010000000000000003', null, MiB16), null, 'a standby');
});
