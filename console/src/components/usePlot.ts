/** A uPlot chart bound to a component: made on the first data, updated after, destroyed on unmount. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * Draws `data` into the returned element ref, with the options `options()` gives the first
 * time (later data only updates the series).
 */
export function usePlot(options: () => uPlot.Options, data: uPlot.AlignedData) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    if (!box.current) return;
    if (!plot.current) plot.current = new uPlot(options(), data, box.current);
    else plot.current.setData(data);
  }, [data]);
  useEffect(() => () => { plot.current?.destroy(); plot.current = null; }, []);
  return box;
}
