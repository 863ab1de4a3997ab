import { EditEntityPage, NewEntityPage } from '../../components/EntityEdit';
import { resources } from './api';
import { ResourceForm } from './ResourceForm';

export function NewResourcePage() {
  return <NewEntityPage title="New resource" listPath="/resources" listTitle="Resources"><ResourceForm /></NewEntityPage>;
}

export function ResourceEditPage() {
  return <EditEntityPage what="Resource" listPath="/resources" listTitle="Resources" useOne={resources.useOne}
    form={(resource, reload) => <ResourceForm resource={resource} onReload={reload} />} />;
}
