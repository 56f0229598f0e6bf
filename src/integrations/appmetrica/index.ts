/**
 * `chartly/appmetrica`: the AppMetrica Post API exporter (docs/appmetrica.md).
 *
 *   createCountly({ url, appKey, exporters: [appMetricaExporter({ postApiKey, applicationId })] })
 */
export { appMetricaExporter, type AppMetricaExporterOptions } from './exporter.js';
export type { Exporter, ExportedEvent, ExporterHost } from '../../exporters/types.js';
